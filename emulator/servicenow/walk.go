package servicenow

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// walkField is a dot-walked name of sysparm_fields ("assigned_to.email"):
// the name the response uses as its key, and the path from the base table,
// every segment but the last a reference.
type walkField struct {
	name string
	path []*field
}

// target is the field whose value the walk renders.
func (w walkField) target() *field { return w.path[len(w.path)-1] }

// walkedFields picks the dot-walked names out of sysparm_fields. A name
// with an unknown or hidden segment, a segment before the last that is not
// a reference, or more than maxDotWalk segments is dropped, as an unknown
// field is. So is a walk ending in a journal: no reference of the
// dictionary reaches a table with journals, so there is no history to show.
func walkedFields(d *dictionary, t *table, names []string) []walkField {
	var out []walkField
	seen := map[string]bool{}
	for _, n := range names {
		if !strings.Contains(n, ".") || seen[n] {
			continue
		}
		path := resolvePath(d, t, n)
		if path == nil || !path[len(path)-1].stored() {
			continue
		}
		seen[n] = true
		out = append(out, walkField{name: n, path: path})
	}
	return out
}

// walkBases are the fields of the base table the walks start from: a list
// must select them even when sysparm_fields does not name them.
func walkBases(walks []walkField) []*field {
	var out []*field
	for _, w := range walks {
		if !slices.Contains(out, w.path[0]) {
			out = append(out, w.path[0])
		}
	}
	return out
}

// walkChunk is how many sys_ids one statement of a walk binds, far below
// SQLite's limit on parameters.
const walkChunk = 1000

// walk follows walks from every record of recs. The result holds, for
// record i and walk w, the record the walk ends on (its target field read
// as the caller may read it), or nil when the walk meets an empty
// reference or a record the caller may not read.
//
// It goes one level at a time: at each level the sys_ids every walk needs
// are gathered per referenced table and read in one statement per table
// (per walkChunk ids), so a page of 10,000 rows costs a few statements per
// level, not one per row and field. Each statement compiles the caller's
// read ACLs exactly as a direct read of those records does: the record
// rules in WHERE (a hidden record reads as missing) and the field rules in
// the select list (a hidden field reads "").
func (s *Server) walk(ctx context.Context, env queryEnv, recs []record, walks []walkField) ([][]record, error) {
	at := make([][]record, len(recs))
	for i, r := range recs {
		at[i] = make([]record, len(walks))
		for w := range walks {
			at[i][w] = r
		}
	}
	type need struct {
		ids    []string
		seen   map[string]bool
		fields []*field
	}
	for depth := 0; depth < maxDotWalk; depth++ {
		needs := map[string]*need{}
		var order []string // referenced tables in first-use order
		for w, wf := range walks {
			if depth >= len(wf.path)-1 {
				continue
			}
			ref := wf.path[depth]
			n := needs[ref.Reference]
			if n == nil {
				n = &need{seen: map[string]bool{}}
				needs[ref.Reference] = n
				order = append(order, ref.Reference)
			}
			if next := wf.path[depth+1]; !slices.Contains(n.fields, next) {
				n.fields = append(n.fields, next)
			}
			for i := range recs {
				if r := at[i][w]; r != nil {
					if id := r[ref.Name]; id != "" && !n.seen[id] {
						n.seen[id] = true
						n.ids = append(n.ids, id)
					}
				}
			}
		}
		if len(needs) == 0 {
			break
		}
		fetched := map[string]map[string]record{}
		for _, name := range order {
			n := needs[name]
			m, err := s.readRecords(ctx, env, s.dict.table(name), n.ids, n.fields)
			if err != nil {
				return nil, err
			}
			fetched[name] = m
		}
		for w, wf := range walks {
			if depth >= len(wf.path)-1 {
				continue
			}
			ref := wf.path[depth]
			for i := range recs {
				if r := at[i][w]; r != nil {
					at[i][w] = fetched[ref.Reference][r[ref.Name]] // nil for "", missing or hidden
				}
			}
		}
	}
	return at, nil
}

// readRecords reads the records of t with the given sys_ids that the caller
// may read, with fields as the caller may read them, keyed by sys_id.
func (s *Server) readRecords(ctx context.Context, env queryEnv, t *table, ids []string, fields []*field) (map[string]record, error) {
	out := make(map[string]record, len(ids))
	for start := 0; start < len(ids); start += walkChunk {
		chunk := ids[start:min(start+walkChunk, len(ids))]
		b := &sqlBuilder{}
		cols := env.selection(b, t, "t0", fields)
		sqlText := "SELECT " + selectList(cols) + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id IN (" +
			inClause(b, chunk) + ") AND " + env.readCondition(b, t, "t0")
		rows, err := s.reads.QueryContext(ctx, sqlText, b.args...)
		if err != nil {
			return nil, fmt.Errorf("servicenow: dot-walk into %s: %w", t.Name, err)
		}
		recs, err := scanRecords(rows, cols)
		if err != nil {
			return nil, fmt.Errorf("servicenow: dot-walk into %s: %w", t.Name, err)
		}
		for _, r := range recs {
			out[r[sysIDField]] = r
		}
	}
	return out, nil
}
