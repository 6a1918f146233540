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
	errNotFound  = errors.New("servicenow: record not found or not readable")
	errForbidden = errors.New("servicenow: operation denied by ACL")
)

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

func selectList(alias string, fields []*field) string {
	cols := make([]string, len(fields))
	for i, f := range fields {
		cols[i] = alias + "." + quoteIdent(f.Name)
	}
	return strings.Join(cols, ", ")
}

// queryer is *sql.DB or *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// scanRecords reads every row before returning: the pool has one connection,
// so no other query may run while rows are open.
func scanRecords(rows *sql.Rows, fields []*field) ([]record, error) {
	defer rows.Close()
	var out []record
	vals := make([]any, len(fields))
	ptrs := make([]any, len(fields))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		rec := make(record, len(fields))
		for i, f := range fields {
			rec[f.Name] = fromDB(f, vals[i])
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
}

type listResult struct {
	records []record
	total   int // visible records matching the query; -1 when not counted
}

// list returns one page of the records of lr.table that match the query and
// that the caller may read.
func (s *Server) list(ctx context.Context, p *principal, lr listRequest) (listResult, error) {
	env := s.env(p)
	t := lr.table
	q := parseEncodedQuery(s.dict, t, lr.query)
	if len(q.invalid) > 0 {
		s.log.DebugContext(ctx, "servicenow: invalid encoded query terms", "table", t.Name, "terms", len(q.invalid))
	}
	b := &sqlBuilder{}
	where := env.where(b, t, "t0", q) + " AND " + env.readCondition(b, t, "t0")
	order := env.orderBy(b, t, "t0", q)
	fields := visibleColumns(t)
	sqlText := "SELECT " + selectList("t0", fields) + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE " + where +
		" ORDER BY " + order + " LIMIT " + b.bind(lr.limit) + " OFFSET " + b.bind(lr.offset)
	rows, err := s.db.QueryContext(ctx, sqlText, b.args...)
	if err != nil {
		return listResult{}, fmt.Errorf("servicenow: list %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, fields)
	if err != nil {
		return listResult{}, fmt.Errorf("servicenow: list %s: %w", t.Name, err)
	}
	res := listResult{records: recs, total: -1}
	if lr.noCount {
		return res, nil
	}
	cb := &sqlBuilder{}
	cwhere := env.where(cb, t, "t0", q) + " AND " + env.readCondition(cb, t, "t0")
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+quoteIdent(t.Name)+" AS t0 WHERE "+cwhere, cb.args...).Scan(&res.total); err != nil {
		return listResult{}, fmt.Errorf("servicenow: count %s: %w", t.Name, err)
	}
	return res, nil
}

// get returns one record the caller may read, or errNotFound (missing and
// hidden look the same).
func (s *Server) get(ctx context.Context, q queryer, p *principal, t *table, sysID string) (record, error) {
	env := s.env(p)
	b := &sqlBuilder{}
	fields := visibleColumns(t)
	sqlText := "SELECT " + selectList("t0", fields) + " FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id = " +
		b.bind(sysID) + " AND " + env.readCondition(b, t, "t0")
	rows, err := q.QueryContext(ctx, sqlText, b.args...)
	if err != nil {
		return nil, fmt.Errorf("servicenow: get %s: %w", t.Name, err)
	}
	recs, err := scanRecords(rows, fields)
	if err != nil {
		return nil, fmt.Errorf("servicenow: get %s: %w", t.Name, err)
	}
	if len(recs) == 0 {
		return nil, errNotFound
	}
	return recs[0], nil
}

// canWrite reports whether the write ACL of t passes for the record.
func (s *Server) canWrite(ctx context.Context, q queryer, p *principal, t *table, sysID string) (bool, error) {
	env := s.env(p)
	b := &sqlBuilder{}
	sqlText := "SELECT COUNT(*) FROM " + quoteIdent(t.Name) + " AS t0 WHERE t0.sys_id = " + b.bind(sysID) +
		" AND " + env.aclCondition(b, t, "t0", opWrite)
	var n int
	if err := q.QueryRowContext(ctx, sqlText, b.args...).Scan(&n); err != nil {
		return false, fmt.Errorf("servicenow: write acl %s: %w", t.Name, err)
	}
	return n > 0, nil
}

// update applies changes (field -> API value) to one record as the caller:
// the record must be readable (else errNotFound) and writable (else
// errForbidden). Unknown, hidden and system fields are ignored, as on a real
// instance. Each changed field writes one sys_audit row naming the caller;
// sys_updated_on/by and sys_mod_count move only when something changed.
func (s *Server) update(ctx context.Context, p *principal, t *table, sysID string, changes map[string]string) (record, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("servicenow: update %s: %w", t.Name, err)
	}
	defer tx.Rollback()

	old, err := s.get(ctx, tx, p, t, sysID)
	if err != nil {
		return nil, err
	}
	ok, err := s.canWrite(ctx, tx, p, t, sysID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errForbidden
	}

	type change struct {
		f        *field
		stored   any
		oldValue string
		newValue string
	}
	var todo []change
	for _, f := range t.Fields { // dictionary order: deterministic audit order
		v, present := changes[f.Name]
		if !present || f.ReadOnly || f.hidden() {
			continue
		}
		stored, err := toDB(t, f, v)
		if err != nil {
			return nil, err
		}
		nv := fromDB(f, stored)
		if nv == old[f.Name] {
			continue
		}
		todo = append(todo, change{f: f, stored: stored, oldValue: old[f.Name], newValue: nv})
	}
	if len(todo) == 0 {
		return old, tx.Commit()
	}

	now := formatTime(s.now())
	b := &sqlBuilder{}
	var sets []string
	for _, c := range todo {
		sets = append(sets, quoteIdent(c.f.Name)+" = "+b.bind(c.stored))
	}
	sets = append(sets,
		"sys_updated_on = "+b.bind(now),
		"sys_updated_by = "+b.bind(p.UserName),
		"sys_mod_count = COALESCE(sys_mod_count, 0) + 1")
	if _, err := tx.ExecContext(ctx, "UPDATE "+quoteIdent(t.Name)+" SET "+strings.Join(sets, ", ")+" WHERE sys_id = "+b.bind(sysID), b.args...); err != nil {
		return nil, fmt.Errorf("servicenow: update %s: %w", t.Name, err)
	}
	for _, c := range todo {
		if err := s.insert(ctx, tx, "sys_audit", p.UserName, map[string]string{
			"tablename":   t.Name,
			"fieldname":   c.f.Name,
			"documentkey": sysID,
			"oldvalue":    c.oldValue,
			"newvalue":    c.newValue,
			"user":        p.UserName,
		}); err != nil {
			return nil, err
		}
	}
	// Read back with the system user: the caller could read the record a
	// moment ago; the response shows what was written even if the change
	// moved it out of the caller's read ACL.
	rec, err := s.get(ctx, tx, systemPrincipal, t, sysID)
	if err != nil {
		return nil, err
	}
	return rec, tx.Commit()
}

// systemPrincipal is the instance itself (seeding, internal reads).
var systemPrincipal = &principal{UserName: "system", Roles: map[string]bool{roleAdmin: true}}

// insert writes a record without ACL checks (instance-internal writes:
// seeding, audit, transaction log). sys_id and sys_* fields are filled in
// unless given. Values are API strings.
func (s *Server) insert(ctx context.Context, q queryer, table, by string, values map[string]string) error {
	t := s.dict.table(table)
	if t == nil {
		return fmt.Errorf("servicenow: insert into unknown table %q", table)
	}
	now := formatTime(s.now())
	defaults := map[string]string{
		"sys_id": newSysID(), "sys_created_on": now, "sys_created_by": by,
		"sys_updated_on": now, "sys_updated_by": by, "sys_mod_count": "0",
	}
	b := &sqlBuilder{}
	var cols, marks []string
	for _, f := range t.Fields {
		v, ok := values[f.Name]
		if !ok {
			v, ok = defaults[f.Name]
		}
		if !ok {
			continue
		}
		stored, err := toDB(t, f, v)
		if err != nil {
			return err
		}
		cols = append(cols, quoteIdent(f.Name))
		marks = append(marks, b.bind(stored))
	}
	for k := range values {
		if t.field(k) == nil {
			return fmt.Errorf("servicenow: insert into %s: unknown field %q", table, k)
		}
	}
	_, err := q.ExecContext(ctx, "INSERT OR IGNORE INTO "+quoteIdent(t.Name)+" ("+strings.Join(cols, ", ")+") VALUES ("+strings.Join(marks, ", ")+")", b.args...)
	if err != nil {
		return fmt.Errorf("servicenow: insert into %s: %w", table, err)
	}
	return nil
}
