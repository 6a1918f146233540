package servicenow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Errors of the table engine, mapped to the Table API's envelopes.
var (
	errNotFound     = errors.New("servicenow: record not found or not readable")
	errForbidden    = errors.New("servicenow: operation denied by ACL")
	errQueryDenied  = errors.New("servicenow: query filters on fields the caller may not read")
	errCreateDenied = errors.New("servicenow: create denied by ACL")
	errDeleteDenied = errors.New("servicenow: delete denied by ACL")
)

// Reserved record keys (never field names: those match identRE).
const (
	keyVisible       = "#visible" // "1" when the record passes its read ACL
	keyDenyPrefix    = "#deny."   // + journal field: "1" when the caller may not read it
	sysIDField       = "sys_id"
	sysModCountField = "sys_mod_count"
)

// record is one row as canonical API strings ("" for empty), keyed by
// field, plus reserved "#..." keys the engine uses internally.
type record map[string]string

// visibleColumns lists the fields of t that the Table API may return.
func visibleColumns(t *table) []*field {
	var out []*field
	for _, f := range t.Fields {
		if !f.hidden() {
			out = append(out, f)
		}
	}
	return out
}

// queryer is *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// column is one selected SQL expression and where its value lands.
type column struct {
	key  string // record key
	f    *field // converts the value; nil for 0/1 flags
	expr string
}

// selection builds the select list for fields of t (aliased alias) as the
// caller in env sees them: a field the caller may never read is not
// selected (it renders ""), one readable under a condition is selected
// through CASE, and a journal field gets a flag column when its access
// depends on the record.
func (e queryEnv) selection(b *sqlBuilder, t *table, alias string, fields []*field) []column {
	cols := []column{{key: sysIDField, f: t.field(sysIDField), expr: alias + ".sys_id"}}
	for _, f := range fields {
		if f.hidden() || f.Name == sysIDField {
			continue
		}
		acc := e.fieldAccess(t, f, OpRead)
		if !f.stored() {
			switch acc {
			case accessDenied:
				cols = append(cols, column{key: keyDenyPrefix + f.Name, expr: "1"})
			case accessConditional:
				cols = append(cols, column{key: keyDenyPrefix + f.Name, expr: "NOT " + e.fieldCondition(b, t, alias, f, OpRead)})
			}
			continue
		}
		col := alias + "." + quoteIdent(f.Name)
		switch acc {
		case accessDenied:
			continue
		case accessConditional:
			col = "CASE WHEN " + e.fieldCondition(b, t, alias, f, OpRead) + " THEN " + col + " END"
		}
		cols = append(cols, column{key: f.Name, f: f, expr: col})
	}
	return cols
}

func selectList(cols []column) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.expr
	}
	return strings.Join(parts, ", ")
}

// scanRecords reads every row before returning: an in-memory database has
// one connection, so no other query may run while rows are open.
func scanRecords(rows *sql.Rows, cols []column) ([]record, error) {
	defer rows.Close()
	var out []record
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rec := make(record, len(cols))
		for i, c := range cols {
			if c.f == nil {
				if n, ok := vals[i].(int64); ok && n != 0 {
					rec[c.key] = "1"
				}
				continue
			}
			rec[c.key] = fromDB(c.f, vals[i])
		}
		out = append(out, rec)
	}
	return out, rows.Err()
}

type listRequest struct {
	table   *table
	query   string
	limit   int
	offset  int
	noCount bool
	fields  []*field // to select; nil: every visible field
}

type listResult struct {
	records []record
	// total is X-Total-Count: the records matching the query (only the
	// readable ones with ReadACLBeforeLimit); -1 when not counted.
	total int
}

// list returns one page of the records of lr.table that match the query and
// that the caller may read.
//
// Like a real instance (unless ReadACLBeforeLimit), it cuts the page first
// and then drops the rows the caller may not read, so a page can be short or
// empty while readable rows exist further on, and the count includes rows
// the caller cannot see. Both ways, read ACLs are compiled into the same
// statement: in the WHERE clause, or as a selected flag.
func (s *Server) list(ctx context.Context, p *principal, lr listRequest) (listResult, error) {
	env := s.env(p)
	t := lr.table
	q := parseEncodedQuery(s.dict, t, lr.query)
	if len(q.invalid) > 0 {
		s.log.DebugContext(ctx, "servicenow: invalid encoded query terms", "table", t.Name, "terms", len(q.invalid))
	}
	if bad := env.unreadableQueryFields(t, q); len(bad) > 0 {
		return listResult{}, fmt.Errorf("%w: %s", errQueryDenied, strings.Join(bad, ", "))
	}
	// A caller no read rule lets in by role gets nothing, not even a
	// count: the table-level check comes before the query.
	if env.staticAccess(s.acl.recordRules(t, OpRead), accessDenied) == accessDenied {
		total := 0
		if lr.noCount {
			total = -1
		}
		return listResult{total: total}, nil
	}
	fields := lr.fields
	if fields == nil {
		fields = visibleColumns(t)
	}
	b := &sqlBuilder{}
	cols := env.selection(b, t, "t0", fields)
	where := env.where(b, t, "t0", q)
	readable := env.readCondition(b, t, "t0")
	if s.readACLBeforeLimit {
		where += " AND " + readable
	} else {
		cols = append(cols, column{key: keyVisible, expr: readable})
	}
	order := env.orderBy(b, t, "t0", q)
	sqlText := "SELECT " + selectList(cols) + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE " + where +
		" ORDER BY " + order + " LIMIT " + b.bind(lr.limit) + " OFFSET " + b.bind(lr.offset)
	rows, err := s.reads.QueryContext(ctx, sqlText, b.args...)
	if err != nil {
		return listResult{}, fmt.Errorf("servicenow: list %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, cols)
	if err != nil {
		return listResult{}, fmt.Errorf("servicenow: list %s: %w", t.Name, err)
	}
	if !s.readACLBeforeLimit {
		kept := recs[:0]
		for _, r := range recs {
			if r[keyVisible] == "1" {
				kept = append(kept, r)
			}
		}
		recs = kept
	}
	res := listResult{records: recs, total: -1}
	if lr.noCount {
		return res, nil
	}
	cb := &sqlBuilder{}
	cwhere := env.where(cb, t, "t0", q)
	if s.readACLBeforeLimit {
		cwhere += " AND " + env.readCondition(cb, t, "t0")
	}
	if err := s.reads.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t.Name)+" AS t0 WHERE "+cwhere, cb.args...).Scan(&res.total); err != nil {
		return listResult{}, fmt.Errorf("servicenow: count %s: %w", t.Name, err)
	}
	return res, nil
}

// get returns one record the caller may read, or errNotFound (missing and
// hidden look the same).
func (s *Server) get(ctx context.Context, q queryer, p *principal, t *table, sysID string) (record, error) {
	return s.getRecord(ctx, q, s.env(p), t, sysID, true)
}

// getRecord reads one record with the caller's field ACLs, and with its
// record read ACL when checkRead.
func (s *Server) getRecord(ctx context.Context, q queryer, env queryEnv, t *table, sysID string, checkRead bool) (record, error) {
	b := &sqlBuilder{}
	cols := env.selection(b, t, "t0", visibleColumns(t))
	sqlText := "SELECT " + selectList(cols) + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id = " + b.bind(sysID)
	if checkRead {
		sqlText += " AND " + env.readCondition(b, t, "t0")
	}
	rows, err := q.QueryContext(ctx, sqlText, b.args...)
	if err != nil {
		return nil, fmt.Errorf("servicenow: get %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, cols)
	if err != nil {
		return nil, fmt.Errorf("servicenow: get %s: %w", t.Name, err)
	}
	if len(recs) == 0 {
		return nil, errNotFound
	}
	return recs[0], nil
}

// allowed reports whether the record passes the caller's record rules for
// op.
func (s *Server) allowed(ctx context.Context, q queryer, env queryEnv, t *table, sysID, op string) (bool, error) {
	b := &sqlBuilder{}
	sqlText := "SELECT COUNT(*) FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id = " + b.bind(sysID) +
		" AND " + env.aclCondition(b, t, "t0", op)
	var n int
	if err := q.QueryRowContext(ctx, sqlText, b.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("servicenow: %s acl %s: %w", op, t.Name, err)
	}
	return n > 0, nil
}

// fieldsAllowed decides, for one record, which of fields the caller may
// write: static decisions need no query; conditional ones are evaluated
// together in one statement.
func (s *Server) fieldsAllowed(ctx context.Context, q queryer, env queryEnv, t *table, sysID string, fields []*field) (map[string]bool, error) {
	out := map[string]bool{}
	b := &sqlBuilder{}
	var conds []string
	var pending []*field
	for _, f := range fields {
		switch env.fieldAccess(t, f, OpWrite) {
		case accessGranted:
			out[f.Name] = true
		case accessConditional:
			conds = append(conds, env.fieldCondition(b, t, "t0", f, OpWrite))
			pending = append(pending, f)
		}
	}
	if len(pending) == 0 {
		return out, nil
	}
	vals := make([]any, len(pending))
	ptrs := make([]any, len(pending))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	sqlText := "SELECT " + strings.Join(conds, ", ") + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id = " + b.bind(sysID)
	if err := q.QueryRowContext(ctx, sqlText, b.args...).Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("servicenow: field acl %s: %w", t.Name, err)
	}
	for i, f := range pending {
		if n, ok := vals[i].(int64); ok && n != 0 {
			out[f.Name] = true
		}
	}
	return out, nil
}
