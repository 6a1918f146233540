package servicenow

import (
	"context"
	"fmt"
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
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = b.bind(id)
	}
	df := t.field(t.Display)
	rows, err := s.db.QueryContext(ctx, "SELECT sys_id, "+quoteIdent(df.Name)+" FROM "+quoteIdent(t.Name)+
		" WHERE sys_id IN ("+strings.Join(marks, ", ")+")", b.args...)
	if err != nil {
		return nil, fmt.Errorf("servicenow: display values of %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, []*field{t.field("sys_id"), df})
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
func (s *Server) render(ctx context.Context, t *table, recs []record, o renderOptions) ([]map[string]any, error) {
	fields := outputFields(t, o.fields)
	// Display values of references, one query per referenced table.
	refDisplay := map[string]map[string]string{}
	if o.mode != displayFalse {
		ids := map[string][]string{}
		for _, f := range fields {
			if f.Type != typeReference {
				continue
			}
			for _, r := range recs {
				if v := r[f.Name]; v != "" {
					ids[f.Reference] = append(ids[f.Reference], v)
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
	}
	out := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		obj := make(map[string]any, len(fields))
		for _, f := range fields {
			obj[f.Name] = renderValue(f, r[f.Name], refDisplay[f.Reference], o)
		}
		out = append(out, obj)
	}
	return out, nil
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
