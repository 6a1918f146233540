package servicenow

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// displayMode is sysparm_display_value.
type displayMode int

const (
	displayFalse displayMode = iota // raw values
	displayTrue                     // display values
	displayAll                      // {"display_value", "value"} per field
)

func parseDisplayMode(v string) displayMode {
	switch strings.ToLower(v) {
	case "true":
		return displayTrue
	case "all":
		return displayAll
	}
	return displayFalse
}

type renderOptions struct {
	mode        displayMode
	excludeLink bool
	fields      []string // nil: every visible field; unknown names are dropped
	baseURL     string
	// user is the caller: dot-walked fields are read with the caller's
	// read ACLs.
	user *principal
}

// inClause binds ids as "?1, ?2, ...".
func inClause(b *sqlBuilder, ids []string) string {
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = b.bind(id)
	}
	return strings.Join(marks, ", ")
}

// displayValues maps sys_id -> display value for the given records of t,
// following a display field that is itself a reference (sys_user_has_role
// shows its role's name).
func (s *Server) displayValues(ctx context.Context, t *table, ids []string, depth int) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	b := &sqlBuilder{}
	df := t.field(t.Display)
	rows, err := s.reads.QueryContext(ctx, "SELECT sys_id, "+quoteIdent(df.Name)+" FROM "+quoteIdent(t.Name)+
		" WHERE sys_id IN ("+inClause(b, ids)+")", b.args...)
	if err != nil {
		return nil, fmt.Errorf("servicenow: display values of %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, []column{{key: "sys_id", f: t.field("sys_id")}, {key: df.Name, f: df}})
	if err != nil {
		return nil, fmt.Errorf("servicenow: display values of %s: %w", t.Name, err)
	}
	for _, r := range recs {
		out[r["sys_id"]] = r[df.Name]
	}
	if df.Type == typeReference && depth < maxDotWalk {
		var next []string
		for _, v := range out {
			if v != "" {
				next = append(next, v)
			}
		}
		inner, err := s.displayValues(ctx, s.dict.table(df.Reference), next, depth+1)
		if err != nil {
			return nil, err
		}
		for k, v := range out {
			out[k] = inner[v]
		}
	}
	return out, nil
}

// journalHistory renders the journals of records as a real instance shows
// a journal's display value: every entry, newest first, as
// "<created on> - <user's name> (<field label>)\n<text>\n\n". The result is
// keyed by sys_id + "/" + field.
func (s *Server) journalHistory(ctx context.Context, t *table, ids []string, fields []*field) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 || len(fields) == 0 {
		return out, nil
	}
	names := make([]string, len(fields))
	labels := map[string]string{}
	for i, f := range fields {
		names[i] = f.Name
		labels[f.Name] = f.Label
	}
	b := &sqlBuilder{}
	rows, err := s.reads.QueryContext(ctx, "SELECT j.element_id, j.element, j.value, j.sys_created_on, COALESCE(u.name, j.sys_created_by)"+
		" FROM sys_journal_field AS j LEFT JOIN sys_user AS u ON u.user_name = j.sys_created_by"+
		" WHERE j.element_id IN ("+inClause(b, ids)+") AND j.name = "+b.bind(t.Name)+" AND j.element IN ("+inClause(b, names)+")"+
		" ORDER BY j.sys_created_on DESC, j.rowid DESC", b.args...)
	if err != nil {
		return nil, fmt.Errorf("servicenow: journal of %s: %w", t.Name, err)
	}
	defer rows.Close()
	var entries [][5]string
	for rows.Next() {
		var e [5]string
		var value, who *string
		if err := rows.Scan(&e[0], &e[1], &value, &e[3], &who); err != nil {
			return nil, fmt.Errorf("servicenow: journal of %s: %w", t.Name, err)
		}
		if value != nil {
			e[2] = *value
		}
		if who != nil {
			e[4] = *who
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("servicenow: journal of %s: %w", t.Name, err)
	}
	for _, e := range entries {
		key := e[0] + "/" + e[1]
		out[key] += e[3] + " - " + e[4] + " (" + labels[e[1]] + ")\n" + e[2] + "\n\n"
	}
	return out, nil
}

// outputFields is the list of fields to render.
func outputFields(t *table, names []string) []*field {
	if names == nil {
		return visibleColumns(t)
	}
	var out []*field
	seen := map[string]bool{}
	for _, n := range names {
		f := t.field(n)
		if f == nil || f.hidden() || seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, f)
	}
	return out
}

// render turns records into the Table API's JSON objects.
func (s *Server) render(ctx context.Context, t *table, recs []record, o renderOptions) ([]renderedRecord, error) {
	fields := outputFields(t, o.fields)
	walks := walkedFields(s.dict, t, o.fields)
	// walked[i][w] is the record walk w of recs[i] ends on (nil: "").
	var walked [][]record
	if len(walks) > 0 && len(recs) > 0 {
		var err error
		if walked, err = s.walk(ctx, s.env(o.user), recs, walks); err != nil {
			return nil, err
		}
	}
	// Display values of references, one query per referenced table, and
	// journal histories, one query for all.
	refDisplay := map[string]map[string]string{}
	var history map[string]string
	if o.mode != displayFalse && len(recs) > 0 {
		ids := map[string][]string{}
		var journals []*field
		for _, f := range fields {
			switch f.Type {
			case typeReference:
				for _, r := range recs {
					if v := r[f.Name]; v != "" {
						ids[f.Reference] = append(ids[f.Reference], v)
					}
				}
			case typeJournal:
				journals = append(journals, f)
			}
		}
		for w, wf := range walks {
			if f := wf.target(); f.Type == typeReference {
				for i := range recs {
					if r := walked[i][w]; r != nil && r[f.Name] != "" {
						ids[f.Reference] = append(ids[f.Reference], r[f.Name])
					}
				}
			}
		}
		for target, list := range ids {
			m, err := s.displayValues(ctx, s.dict.table(target), list, 0)
			if err != nil {
				return nil, err
			}
			refDisplay[target] = m
		}
		if len(journals) > 0 {
			var err error
			var recIDs []string
			for _, r := range recs {
				recIDs = append(recIDs, r[sysIDField])
			}
			if history, err = s.journalHistory(ctx, t, recIDs, journals); err != nil {
				return nil, err
			}
		}
	}
	// Keys in name order, dot-walked ones among them: the JSON encoder
	// writes them as they come.
	type outColumn struct {
		name string
		f    *field
		walk int // index into walks, or -1 for a field of the record
	}
	cols := make([]outColumn, 0, len(fields)+len(walks))
	for _, f := range fields {
		cols = append(cols, outColumn{name: f.Name, f: f, walk: -1})
	}
	for w, wf := range walks {
		cols = append(cols, outColumn{name: wf.name, f: wf.target(), walk: w})
	}
	slices.SortFunc(cols, func(a, b outColumn) int { return strings.Compare(a.name, b.name) })
	out := make([]renderedRecord, 0, len(recs))
	for i, r := range recs {
		obj := make(renderedRecord, 0, len(cols))
		for _, c := range cols {
			f := c.f
			if c.walk >= 0 {
				raw := ""
				if end := walked[i][c.walk]; end != nil {
					raw = end[f.Name]
				}
				obj = append(obj, renderedField{c.name, renderValue(f, raw, refDisplay[f.Reference], o)})
				continue
			}
			if f.Type == typeJournal {
				display := ""
				if r[keyDenyPrefix+f.Name] == "" {
					display = history[r[sysIDField]+"/"+f.Name]
				}
				obj = append(obj, renderedField{f.Name, renderJournal(display, o)})
				continue
			}
			obj = append(obj, renderedField{f.Name, renderValue(f, r[f.Name], refDisplay[f.Reference], o)})
		}
		out = append(out, obj)
	}
	return out, nil
}

// renderedRecord is one record of a response, fields in name order.
type renderedRecord []renderedField

type renderedField struct {
	name  string
	value any // string or map[string]string
}

// get returns the rendered value of name (tests, internal callers).
func (r renderedRecord) get(name string) any {
	for _, f := range r {
		if f.name == name {
			return f.value
		}
	}
	return nil
}

// renderJournal renders a journal field: "" raw, its history as display
// value.
func renderJournal(display string, o renderOptions) any {
	switch o.mode {
	case displayTrue:
		return display
	case displayAll:
		return map[string]string{"display_value": display, "value": ""}
	}
	return ""
}

// renderValue renders one field; every leaf is a string.
func renderValue(f *field, raw string, refDisplay map[string]string, o renderOptions) any {
	var display string
	switch f.Type {
	case typeReference:
		display = refDisplay[raw]
	case typeChoice, typeIntegerChoice:
		display = f.choiceLabel(raw)
	case typeInteger:
		display = groupDigits(raw)
	default:
		display = raw
	}
	if f.Type == typeReference && raw != "" {
		link := o.baseURL + "/api/now/table/" + f.Reference + "/" + raw
		switch o.mode {
		case displayFalse:
			if o.excludeLink {
				return raw
			}
			return map[string]string{"link": link, "value": raw}
		case displayTrue:
			if o.excludeLink {
				return display
			}
			return map[string]string{"display_value": display, "link": link}
		default:
			if o.excludeLink {
				return map[string]string{"display_value": display, "value": raw}
			}
			return map[string]string{"display_value": display, "value": raw, "link": link}
		}
	}
	switch o.mode {
	case displayTrue:
		return display
	case displayAll:
		return map[string]string{"display_value": display, "value": raw}
	}
	return raw
}
