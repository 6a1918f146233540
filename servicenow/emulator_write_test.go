package servicenow

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	snemu "github.com/onbehalf/onbehalf/emulator/servicenow"
)

// These tests run the write tools over real HTTP as Jane (an Entra token
// exchanged On-Behalf-Of, checked by the emulated instance's OIDC
// integration) and read what the instance recorded as admin.

func janeClient(t *testing.T) (jane, admin *Client, log *auditLog) {
	t.Helper()
	entraURL := startEntra(t)
	hs := startInstance(t, entraURL)
	jane = &Client{BaseURL: hs.URL, HTTPClient: hs.Client(), Tokens: StaticToken(entraTokenB(t, entraURL, "jane.smith@company.com"))}
	log = recordAudit(jane)
	return jane, adminClient(hs), log
}

func decodeResult(t *testing.T, name string, content string, isError bool, v any) {
	t.Helper()
	if isError {
		t.Fatalf("%s: error result %q", name, content)
	}
	if err := json.Unmarshal([]byte(content), v); err != nil {
		t.Fatalf("%s: result %q: %v", name, content, err)
	}
}

// sysIDOfNumber reads an incident's sys_id as admin.
func sysIDOfNumber(t *testing.T, admin *Client, number string) string {
	t.Helper()
	rows, _, err := admin.List(context.Background(), "incident", ListOptions{Query: NewQuery().Eq("number", number), Fields: []string{"sys_id"}, Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatalf("sys_id of %s: %v, %v", number, rows, err)
	}
	return rows[0].Value("sys_id")
}

func TestEmulatorJaneCreatesAnIncidentAsHerself(t *testing.T) {
	jane, admin, log := janeClient(t)
	res := run(t, jane, "create_incident", `{"short_description":"Monitor flickers","description":"Since the ^ORcategory=hr update","category":"Hardware","impact":2,"urgency":2,"assigned_to":"me"}`)
	var got struct {
		Incident   incidentDetail `json:"incident"`
		NotApplied []string       `json:"not_applied"`
	}
	decodeResult(t, "create_incident", res.Content, res.IsError, &got)
	in := got.Incident
	if !numberRe.MatchString(in.Number) || !sysIDRe.MatchString(in.SysID) {
		t.Errorf("number %q, sys_id %q", in.Number, in.SysID)
	}
	want := incidentDetail{incidentRow: incidentRow{SysID: in.SysID, Number: in.Number, ShortDescription: "Monitor flickers",
		Priority: in.Priority, State: "New", Category: "Hardware", AssignedTo: "Jane Smith", Caller: "Jane Smith", OpenedAt: in.OpenedAt},
		Description: "Since the ^ORcategory=hr update", Impact: "2 - Medium", Urgency: "2 - Medium"}
	if d := cmp.Diff(want, in, cmp.AllowUnexported(incidentDetail{})); d != "" || len(got.NotApplied) != 0 {
		t.Errorf("created incident (-want +got):\n%s\nnot_applied %v", d, got.NotApplied)
	}

	// ServiceNow records Jane, not the agent, as the one who did it.
	rec, err := admin.Get(context.Background(), "incident", in.SysID, ListOptions{Fields: []string{"caller_id", "opened_by", "sys_created_by"}})
	if err != nil {
		t.Fatalf("admin Get: %v", err)
	}
	if rec.Value("caller_id") != rec.Value("opened_by") || rec.Value("sys_created_by") != "jane.smith" {
		t.Errorf("caller %q, opened_by %q, created by %q; want Jane in all three", rec.Value("caller_id"), rec.Value("opened_by"), rec.Value("sys_created_by"))
	}
	ev := log.list()
	if len(ev) != 1 || ev[0].Tool != "create_incident" || ev[0].Method != "POST" || ev[0].Status != 201 ||
		ev[0].Requests != 2 || ev[0].Record != in.Number || ev[0].Outcome != OutcomeOK {
		t.Errorf("audit events = %+v", ev)
	}
}

func TestEmulatorJaneCommentsAndAddsWorkNotes(t *testing.T) {
	jane, admin, _ := janeClient(t)
	res := run(t, jane, "add_comment", `{"number":"INC0012345","text":"Still dropping ^ORcategory=hr\nafter the fix"}`)
	var got struct {
		Incident incidentRow `json:"incident"`
		Added    string      `json:"added"`
	}
	decodeResult(t, "add_comment", res.Content, res.IsError, &got)
	if got.Incident.Number != "INC0012345" || got.Added != "comment" {
		t.Errorf("add_comment result = %s", res.Content)
	}
	res = run(t, jane, "add_work_note", `{"number":"INC0012345","text":"Asked network team."}`)
	decodeResult(t, "add_work_note", res.Content, res.IsError, &got)

	id := sysIDOfNumber(t, admin, "INC0012345")
	rows, _, err := admin.List(context.Background(), "sys_journal_field", ListOptions{
		Query: NewQuery().Eq("element_id", id).OrderBy("element"), Fields: []string{"element", "value", "sys_created_by"},
	})
	if err != nil {
		t.Fatalf("journal: %v", err)
	}
	var entries [][3]string
	for _, r := range rows {
		entries = append(entries, [3]string{r.Value("element"), r.Value("value"), r.Value("sys_created_by")})
	}
	want := [][3]string{
		{"comments", "Still dropping ^ORcategory=hr\nafter the fix", "jane.smith"},
		{"work_notes", "Asked network team.", "jane.smith"},
	}
	if d := cmp.Diff(want, entries); d != "" {
		t.Errorf("journal entries (-want +got):\n%s", d)
	}
}

func TestEmulatorJaneResolvesAndReassigns(t *testing.T) {
	jane, admin, _ := janeClient(t)
	res := run(t, jane, "resolve_incident", `{"number":"INC0012401","close_code":"Solved (Permanently)","close_notes":"Rolled back the update."}`)
	var got writeResult
	decodeResult(t, "resolve_incident", res.Content, res.IsError, &got)
	if got.Incident.State != "Resolved" || got.Incident.CloseCode != "Solved (Permanently)" || got.Incident.CloseNotes != "Rolled back the update." ||
		!cmp.Equal(got.Updated, []string{"state", "close_code", "close_notes"}) || len(got.NotApplied) != 0 {
		t.Errorf("resolve result = %s", res.Content)
	}

	res = run(t, jane, "update_incident", `{"number":"INC0012455","assigned_to":"bob.jones","priority":"2"}`)
	got = writeResult{}
	decodeResult(t, "update_incident", res.Content, res.IsError, &got)
	if got.Incident.AssignedTo != "Bob Jones" || !cmp.Equal(got.Updated, []string{"priority", "assigned_to"}) {
		t.Errorf("update result = %s", res.Content)
	}

	id := sysIDOfNumber(t, admin, "INC0012455")
	audit, _, err := admin.List(context.Background(), "sys_audit", ListOptions{
		Query: NewQuery().Eq("documentkey", id).Eq("fieldname", "assigned_to"), Fields: []string{"user"},
	})
	if err != nil || len(audit) != 1 || audit[0].Value("user") != "jane.smith" {
		t.Errorf("sys_audit for assigned_to = %v, %v; want one change by jane.smith", audit, err)
	}
}

func TestEmulatorJaneCannotWriteToIncidentsSheCannotSee(t *testing.T) {
	jane, admin, log := janeClient(t)
	for _, call := range []struct{ name, input string }{
		{"add_comment", `{"number":"INC0012350","text":"peek"}`},
		{"add_work_note", `{"number":"INC0012399","text":"peek"}`},
		{"resolve_incident", `{"number":"INC0012399","close_code":"Solved (Permanently)","close_notes":"x"}`},
		{"update_incident", `{"sys_id":"` + sysIDOfNumber(t, admin, "INC0012350") + `","state":"Closed"}`},
	} {
		if res := run(t, jane, call.name, call.input); !res.IsError || res.Content != MsgNotFound {
			t.Errorf("%s: %q (error=%v), want %q", call.name, res.Content, res.IsError, MsgNotFound)
		}
	}
	for _, ev := range log.list() {
		if ev.Outcome != OutcomeNotFound {
			t.Errorf("audit %s: outcome %q, want not_found", ev.Tool, ev.Outcome)
		}
	}
	for _, n := range []string{"INC0012350", "INC0012399"} {
		rows, _, err := admin.List(context.Background(), "sys_journal_field", ListOptions{Query: NewQuery().Eq("element_id", sysIDOfNumber(t, admin, n))})
		if err != nil || len(rows) != 0 {
			t.Errorf("%s journal = %v, %v; want none", n, rows, err)
		}
		rec, err := admin.Get(context.Background(), "incident", sysIDOfNumber(t, admin, n), ListOptions{Fields: []string{"state"}})
		if err != nil || rec.Value("state") == "6" || rec.Value("state") == "7" {
			t.Errorf("%s state = %v, %v; want unchanged", n, rec, err)
		}
	}
}

func TestEmulatorRejectedTokenIsReplacedByOneForcedExchange(t *testing.T) {
	entraURL := startEntra(t)
	hs := startInstance(t, entraURL)
	src := &refresher{cached: "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", fresh: entraTokenB(t, entraURL, "jane.smith@company.com")}
	c := &Client{BaseURL: hs.URL, HTTPClient: hs.Client(), Tokens: src}
	res := run(t, c, "query_incidents", `{"assigned_to_me":true,"limit":1}`)
	var got struct {
		Incidents []incidentRow `json:"incidents"`
	}
	decodeResult(t, "query_incidents", res.Content, res.IsError, &got)
	if len(got.Incidents) != 1 || got.Incidents[0].Number != "INC0012345" || src.forceCalls != 1 {
		t.Errorf("result %s after %d forced exchanges; want INC0012345 after 1", res.Content, src.forceCalls)
	}
}

func TestEmulatorRateLimitRetryAfterIsHonoured(t *testing.T) {
	// The instance clock stands 2 s before the hour; the client's Sleep
	// moves it, so honouring Retry-After opens the next hour's window.
	var mu sync.Mutex
	clock := time.Date(2026, 2, 10, 10, 59, 58, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	var hs *httptest.Server
	hs = startInstanceWith(t, "", func(cfg *snemu.Config) {
		cfg.Now = now
		cfg.RateLimits = []snemu.RateLimit{{User: "admin", RequestsPerHour: 1}}
	})
	c := adminClient(hs)
	var sleeps []time.Duration
	c.Sleep = func(_ context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		sleeps = append(sleeps, d)
		clock = clock.Add(d)
		return nil
	}
	c.Now = now
	log := recordAuditEvents(c)
	for i := 0; i < 2; i++ {
		if res := run(t, c, "get_incident", `{"number":"INC0012345"}`); res.IsError {
			t.Fatalf("call %d: %q", i, res.Content)
		}
	}
	if d := cmp.Diff([]time.Duration{2 * time.Second}, sleeps); d != "" {
		t.Errorf("waits (-want +got):\n%s", d)
	}
	if ev := log(); len(ev) != 2 || ev[1].Requests != 2 || ev[1].Outcome != OutcomeOK || ev[1].Duration != 2*time.Second {
		t.Errorf("audit events = %+v, want the second call to take 2 requests and 2s", ev)
	}

	// With the whole hour left, Retry-After is not waited out.
	res := run(t, c, "get_incident", `{"number":"INC0012345"}`)
	if !res.IsError || res.Content != MsgRateLimited {
		t.Errorf("third call: %q, want %q", res.Content, MsgRateLimited)
	}
	if len(sleeps) != 1 {
		t.Errorf("waits %v, want no further wait", sleeps)
	}
}

// recordAuditEvents collects c's audit events without touching its clock.
func recordAuditEvents(c *Client) func() []CallEvent {
	var mu sync.Mutex
	var events []CallEvent
	c.Audit = func(_ context.Context, ev CallEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	}
	return func() []CallEvent {
		mu.Lock()
		defer mu.Unlock()
		return append([]CallEvent(nil), events...)
	}
}
