package servicenow

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestEveryRequestLeavesATransactionRowNamingTheUser(t *testing.T) {
	e := newTestEnv(t)
	e.numbers(incidentsWhere(janeMine), e.bearer("jane.smith@company.com"))
	e.numbers(incidentsWhere(janeMine), e.bearer("bob.jones@company.com"))
	e.get("/api/now/table/incident", "") // 401, logged as guest

	recs, _ := e.list("/api/now/table/syslog_transaction?sysparm_fields=url,type,http_method,http_status,sys_created_by,auth_method,sys_created_on&sysparm_query=ORDERBYsys_created_on", e.admin())
	want := []map[string]any{
		{"url": incidentsWhere(janeMine), "type": "REST", "http_method": "GET", "http_status": "200", "sys_created_by": "jane.smith", "auth_method": "oidc:EntraID", "sys_created_on": "2025-06-02 09:30:00"},
		{"url": incidentsWhere(janeMine), "type": "REST", "http_method": "GET", "http_status": "200", "sys_created_by": "bob.jones", "auth_method": "oidc:EntraID", "sys_created_on": "2025-06-02 09:30:00"},
		{"url": "/api/now/table/incident", "type": "REST", "http_method": "GET", "http_status": "401", "sys_created_by": "guest", "auth_method": "", "sys_created_on": "2025-06-02 09:30:00"},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Errorf("syslog_transaction (-want +got):\n%s", d)
	}
}

func TestAuditTablesAreAdminOnly(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	e.do(http.MethodPatch, incidentPath("INC0012345"), jane, `{"state":"3"}`)
	for _, table := range []string{"sys_audit", "syslog_transaction"} {
		recs, r := e.list("/api/now/table/"+table, jane)
		if len(recs) != 0 || r.header.Get("X-Total-Count") != "0" {
			t.Errorf("jane lists %d %s rows (X-Total-Count %s), want none", len(recs), table, r.header.Get("X-Total-Count"))
		}
		adminRecs, _ := e.list("/api/now/table/"+table, e.admin())
		if len(adminRecs) == 0 {
			t.Errorf("admin lists no %s rows", table)
			continue
		}
		id := adminRecs[0]["sys_id"].(string)
		wantEnvelope(t, e.get("/api/now/table/"+table+"/"+id, jane), http.StatusNotFound,
			"No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	}
	users, _ := e.list("/api/now/table/sys_user?sysparm_fields=user_name&sysparm_query=ORDERBYuser_name", jane)
	var names []string
	for _, u := range users {
		names = append(names, u["user_name"].(string))
	}
	wantSame(t, "sys_user readable by jane", names, []string{"admin", "bob.jones", "hr.partner", "jane.smith", "soc.analyst"})
}

func TestReopeningAFileKeepsDataAndTakesTheNewAdminPassword(t *testing.T) {
	path := filepath.Join(t.TempDir(), "servicenow.db")
	cfg := Config{DBPath: path, AdminPassword: "first", SeedDev: true, Now: func() time.Time { return testNow }, Logger: discardLogger()}
	s1, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s1.authenticateBasic(context.Background(), basicCred("admin", "first"))
	if err != nil {
		t.Fatalf("admin with first password: %v", err)
	}
	if _, err := s1.update(context.Background(), p, s1.dict.table("incident"), seedID("incident", "INC0012345"), writeRequest{values: map[string]string{"state": "7"}}); err != nil {
		t.Fatal(err)
	}
	s1.Close()

	cfg.AdminPassword = "second"
	s2, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.authenticateBasic(context.Background(), basicCred("admin", "first")); err == nil {
		t.Error("the old admin password still works")
	}
	p, err = s2.authenticateBasic(context.Background(), basicCred("admin", "second"))
	if err != nil {
		t.Fatalf("admin with second password: %v", err)
	}
	rec, err := s2.get(context.Background(), s2.db, p, s2.dict.table("incident"), seedID("incident", "INC0012345"))
	if err != nil || rec["state"] != "7" || rec["sys_mod_count"] != "1" {
		t.Errorf("after reopen: %v %v, want state 7 mod_count 1", rec, err)
	}
	var n int
	if err := s2.db.QueryRow("SELECT COUNT(*) FROM incident").Scan(&n); err != nil || n != 10 {
		t.Errorf("incidents after reseed: %d %v, want 10", n, err)
	}
}

func TestSchemaGainsColumnsOfNewDictionaryFields(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE incident (sys_id TEXT NOT NULL PRIMARY KEY, number TEXT)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := New(context.Background(), Config{DBPath: path, SeedDev: true, Logger: discardLogger()})
	if err != nil {
		t.Fatalf("New on an old schema: %v", err)
	}
	defer s.Close()
	have, err := existingColumns(context.Background(), s.db, "incident")
	if err != nil || !have["close_notes"] || !have["sys_mod_count"] {
		t.Errorf("columns after migrate: %v %v", have, err)
	}
}

func basicCred(user, pass string) string {
	return strings.TrimPrefix(basic(user, pass), "Basic ")
}

func TestCloseTwiceIsHarmless(t *testing.T) {
	s, err := New(context.Background(), Config{Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
