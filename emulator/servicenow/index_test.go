package servicenow

import (
	"context"
	"strings"
	"testing"
)

// explain returns SQLite's plan for the SQL list compiles for query, as the
// caller p, with the real-instance (limit before ACL) shape.
func explain(t *testing.T, s *Server, p *principal, table, query string) string {
	t.Helper()
	env := s.env(p)
	tb := s.dict.table(table)
	q := parseEncodedQuery(s.dict, tb, query)
	b := &sqlBuilder{}
	cols := env.selection(b, tb, "t0", visibleColumns(tb))
	cols = append(cols, column{key: keyVisible, expr: env.readCondition(b, tb, "t0")})
	sqlText := "SELECT " + selectList(cols) + " FROM " + quoteIdent(tb.Name) + " AS t0 WHERE " + env.where(b, tb, "t0", q) +
		" ORDER BY " + env.orderBy(b, tb, "t0", q) + " LIMIT 10"
	rows, err := s.db.Query("EXPLAIN QUERY PLAN "+sqlText, b.args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

// The benchmark query ("my open incidents, newest first") must be one
// index range read in order: no table scan, no sort.
func TestMyOpenIncidentsUsesTheCompositeIndexWithoutSorting(t *testing.T) {
	e := newTestEnv(t)
	u, err := e.srv.findUser(context.Background(), "user_name", "jane.smith")
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.srv.principalFor(context.Background(), u, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"active=true^assigned_to=javascript:gs.getUserID()^ORDERBYDESCopened_at",
		"assigned_to=javascript:gs.getUserID()^active=true^ORDERBYopened_at",
		"assigned_toDYNAMIC" + dynamicMe + "^active=true^ORDERBYDESCopened_at",
	} {
		plan := explain(t, e.srv, p, "incident", q)
		if !strings.Contains(plan, "USING INDEX ix_incident_assigned_to_active_opened_at (assigned_to=? AND active=?)") ||
			strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "SCAN t0") {
			t.Errorf("%s: plan %q, want an ordered range read of ix_incident_assigned_to_active_opened_at", q, plan)
		}
	}
}
