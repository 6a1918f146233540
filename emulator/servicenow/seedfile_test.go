package servicenow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const seedYAML = `
roles:
  - {name: x_app.reader, description: Reads the app}
groups:
  - {name: Service Desk, manager: amy.admin}
users:
  - user_name: amy.admin
    first_name: Amy
    last_name: Admin
    email: amy@example.com
    roles: [itil, x_app.reader]
    groups: [Service Desk, Night Shift]
    password: amy-pass-0c7e
  - {user_name: old.timer, name: Old Timer, email: old@example.com, inactive: true}
records:
  incident:
    - {number: INC0030000, short_description: Seeded one, priority: 1, assigned_to: amy.admin, assignment_group: Service Desk, active: true}
    - {short_description: Seeded without number, caller_id: old@example.com, state: 2}
  problem:
    - {short_description: Root cause of the seeded one, assigned_to: Amy Admin}
`

func writeSeed(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "seed.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSeedFileLoadsUsersGroupsAndRecordsIdempotently(t *testing.T) {
	seed, err := LoadSeedFile(writeSeed(t, seedYAML))
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "sn.db")
	open := func() *Server {
		s, err := New(context.Background(), Config{DBPath: db, SeedDev: true, Seed: seed, Now: func() time.Time { return testNow }, Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	s.Close()
	s = open() // a restart with the same file adds nothing
	defer s.Close()
	e := &testEnv{t: t, srv: s}
	e.hs = httptest.NewServer(s)
	t.Cleanup(e.hs.Close)

	amy := basic("amy.admin", "amy-pass-0c7e")
	recs, _ := e.list("/api/now/table/incident?sysparm_query=numberSTARTSWITHINC003^ORnumber=INC0012491^ORDERBYnumber&sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_fields=number,short_description,priority,assigned_to,assignment_group,caller_id,state", amy)
	want := []map[string]any{
		{"number": "INC0012491", "short_description": "Seeded without number", "priority": "5 - Planning", "assigned_to": "", "assignment_group": "", "caller_id": "Old Timer", "state": "In Progress"},
		{"number": "INC0030000", "short_description": "Seeded one", "priority": "1 - Critical", "assigned_to": "Amy Admin", "assignment_group": "Service Desk", "caller_id": "", "state": "New"},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Errorf("seeded incidents (-want +got):\n%s", d)
	}
	all, _ := e.list("/api/now/table/incident?sysparm_fields=number", amy)
	if len(all) != 10 {
		t.Errorf("incidents amy sees after two starts: %d, want 10 (8 readable dev + 2 seeded)", len(all))
	}
	probs, _ := e.list("/api/now/table/problem?sysparm_fields=number,assigned_to&sysparm_exclude_reference_link=true", amy)
	if d := cmp.Diff([]map[string]any{{"number": "PRB0010001", "assigned_to": seedID("sys_user", "amy.admin")}}, probs); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
	groups, _ := e.list("/api/now/table/sys_user_grmember?sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_fields=group&sysparm_query=ORDERBYgroup", amy)
	if d := cmp.Diff([]map[string]any{{"group": "Night Shift"}, {"group": "Service Desk"}}, groups); d != "" {
		t.Errorf("amy's groups (-want +got):\n%s", d)
	}
	// The inactive user cannot sign in; a wrong password is refused.
	wantEnvelope(t, e.get("/api/now/table/incident", basic("amy.admin", "nope")), http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
	// New records continue after the seeded numbers.
	r := e.do(http.MethodPost, "/api/now/table/incident", amy, `{"short_description":"after"}`)
	if got := r.body["result"].(map[string]any)["number"]; got != "INC0030001" {
		t.Errorf("next number %v, want INC0030001", got)
	}
}

func TestSeedFileProblemsAreReportedTogether(t *testing.T) {
	_, err := LoadSeedFile(writeSeed(t, "users:\n  - {user_nam: typo}\n"))
	if err == nil || !strings.Contains(err.Error(), "user_nam") {
		t.Errorf("unknown key: err %v, want it named", err)
	}
	seed, err := LoadSeedFile(writeSeed(t, `
users: [{name: no user name}]
records:
  nope: [{a: 1}]
  incident:
    - {no_such_field: 1}
    - {assigned_to: nobody.here}
    - {priority: [1, 2]}
`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(context.Background(), Config{Seed: seed, Logger: discardLogger()})
	for _, want := range []string{"users[0]: user_name is required", `unknown table "nope"`, `records.incident[0]: unknown field "no_such_field"`,
		`records.incident[1]: field assigned_to: no sys_user record named "nobody.here"`, "records.incident[2]: field priority"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not mention %q", err, want)
		}
	}
}

func TestGenerateIncidentsContinuesNumbersOverGeneratedUsers(t *testing.T) {
	e := newTestEnv(t)
	g, err := e.srv.GenerateIncidents(context.Background(), 57, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Generated{Users: []string{"gen.user0001", "gen.user0002", "gen.user0003"}, Incidents: 57, FirstNumber: "INC0012491", LastNumber: "INC0012547"}, g); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
	all, r := e.list("/api/now/table/incident?sysparm_fields=number", e.admin())
	if len(all) != 67 || r.header.Get("X-Total-Count") != "67" {
		t.Errorf("incidents %d (X-Total-Count %s), want 67", len(all), r.header.Get("X-Total-Count"))
	}
	// A generated user is an itil user with an OIDC identity and sees only
	// readable categories.
	u1 := e.bearer("gen.user0001@example.com")
	mine, _ := e.list(incidentsWhere(janeMine)+"&sysparm_fields=number,category,assigned_to&sysparm_exclude_reference_link=true", u1)
	var count int
	if err := e.srv.db.QueryRow("SELECT COUNT(*) FROM incident WHERE assigned_to = ?1 AND category NOT IN ('hr','security')", seedID("sys_user", "gen.user0001")).Scan(&count); err != nil {
		t.Fatal(err)
	}
	if len(mine) != count || count == 0 {
		t.Errorf("gen.user0001 sees %d of their incidents, want %d", len(mine), count)
	}
	for _, m := range mine {
		if m["assigned_to"] != seedID("sys_user", "gen.user0001") || m["category"] == "hr" || m["category"] == "security" {
			t.Errorf("gen.user0001 sees %v", m)
		}
	}
	// Deterministic: another instance generates the same data.
	other := newTestEnv(t)
	if _, err := other.srv.GenerateIncidents(context.Background(), 57, 3); err != nil {
		t.Fatal(err)
	}
	a, _ := e.list("/api/now/table/incident?sysparm_query=ORDERBYnumber&sysparm_fields=sys_id,number,category,state,priority,assigned_to,opened_at", e.admin())
	b, _ := other.list("/api/now/table/incident?sysparm_query=ORDERBYnumber&sysparm_fields=sys_id,number,category,state,priority,assigned_to,opened_at", other.admin())
	for i := range a {
		a[i]["assigned_to"] = a[i]["assigned_to"].(map[string]any)["value"]
		b[i]["assigned_to"] = b[i]["assigned_to"].(map[string]any)["value"]
	}
	if d := cmp.Diff(a, b); d != "" {
		t.Errorf("two generations differ:\n%s", d)
	}
	if _, err := e.srv.GenerateIncidents(context.Background(), 1, 0); err == nil {
		t.Error("users=0 accepted")
	}
}
