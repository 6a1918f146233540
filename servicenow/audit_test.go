package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onbehalf/onbehalf/trace"
)

// auditLog collects a Client's audit events; its clock moves 30ms per
// request the instance serves, so durations are exact without timing.
type auditLog struct {
	mu     sync.Mutex
	now    time.Time
	events []CallEvent
}

func recordAudit(c *Client) *auditLog {
	l := &auditLog{now: t0}
	c.Now = func() time.Time {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.now
	}
	c.Audit = func(_ context.Context, ev CallEvent) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.events = append(l.events, ev)
	}
	return l
}

// ticking makes each request served by h advance l's clock by 30ms.
func (l *auditLog) ticking(h func(http.ResponseWriter, *http.Request, int)) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, r *http.Request, n int) {
		l.mu.Lock()
		l.now = l.now.Add(30 * time.Millisecond)
		l.mu.Unlock()
		h(w, r, n)
	}
}

func (l *auditLog) list() []CallEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]CallEvent(nil), l.events...)
}

func TestEachToolCallIsOneAuditEvent(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * 30 * time.Millisecond }
	forbidden := func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 403, `{"error":{"message":"Operation Failed","detail":"ACL Exception Update Failed due to security constraints"},"status":"failure"}`)
	}
	tests := []struct {
		name   string
		handle func(http.ResponseWriter, *http.Request, int)
		tokens TokenSource
		tool   string
		input  string
		want   CallEvent
	}{
		{"query", func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, janeRows(5), "X-Total-Count", "5") }, nil,
			"query_incidents", `{"assigned_to_me":true,"limit":5}`,
			CallEvent{Tool: "query_incidents", Method: "GET", Status: 200, Requests: 1, Rows: 5, Duration: ms(1), Outcome: OutcomeOK}},
		{"get by number", newSnowFake().handle, nil, "get_incident", `{"number":"INC0012345"}`,
			CallEvent{Tool: "get_incident", Method: "GET", Record: "INC0012345", Status: 200, Requests: 1, Rows: 1, Duration: ms(1), Outcome: OutcomeOK}},
		{"get hidden", newSnowFake().handle, nil, "get_incident", `{"number":"INC0012350"}`,
			CallEvent{Tool: "get_incident", Method: "GET", Record: "INC0012350", Status: 200, Requests: 1, Duration: ms(1), Outcome: OutcomeNotFound}},
		{"update by number", newSnowFake().handle, nil, "update_incident", `{"number":"INC0012345","state":"On Hold"}`,
			CallEvent{Tool: "update_incident", Method: "PATCH", Record: "INC0012345", Status: 200, Requests: 2, Rows: 1, Duration: ms(2), Outcome: OutcomeOK}},
		{"update forbidden", forbidden, nil, "update_incident", `{"sys_id":"` + inc45ID + `","state":"On Hold"}`,
			CallEvent{Tool: "update_incident", Method: "PATCH", Record: inc45ID, Status: 403, Requests: 1, Duration: ms(1), Outcome: OutcomeForbidden}},
		{"create assigned to me", newSnowFake().handle, nil, "create_incident", `{"short_description":"Printer on fire","assigned_to":"me"}`,
			CallEvent{Tool: "create_incident", Method: "POST", Record: "INC0012491", Status: 201, Requests: 2, Rows: 1, Duration: ms(2), Outcome: OutcomeOK}},
		{"comment by sys_id", newSnowFake().handle, nil, "add_comment", `{"sys_id":"` + inc45ID + `","text":"Any news?"}`,
			CallEvent{Tool: "add_comment", Method: "PATCH", Record: inc45ID, Status: 200, Requests: 1, Rows: 1, Duration: ms(1), Outcome: OutcomeOK}},
		{"work note", newSnowFake().handle, nil, "add_work_note", `{"number":"INC0012345","text":"Escalated."}`,
			CallEvent{Tool: "add_work_note", Method: "PATCH", Record: "INC0012345", Status: 200, Requests: 2, Rows: 1, Duration: ms(2), Outcome: OutcomeOK}},
		{"resolve refused input", newSnowFake().handle, nil, "resolve_incident", `{"number":"INC0012345","close_code":"Fixed","close_notes":"x"}`,
			CallEvent{Tool: "resolve_incident", Method: "PATCH", Outcome: OutcomeInvalidInput}},
		{"injection refused", newSnowFake().handle, nil, "query_incidents", `{"text":"short_descriptionLIKEvpn^ORcategory=hr"}`,
			CallEvent{Tool: "query_incidents", Method: "GET", Outcome: OutcomeInvalidInput}},
		{"re-authenticated", acceptOnly("fresh-token-b", `{"result":[]}`), &refresher{cached: "old", fresh: "fresh-token-b"},
			"query_incidents", `{}`,
			CallEvent{Tool: "query_incidents", Method: "GET", Status: 200, Requests: 2, Reauthenticated: true, Duration: ms(2), Outcome: OutcomeOK}},
		{"sign in again", acceptOnly("nobody", `{"result":[]}`), &refresher{cached: "old", fresh: "rejected"},
			"resolve_incident", `{"sys_id":"` + inc45ID + `","close_code":"Solved (Permanently)","close_notes":"Done."}`,
			CallEvent{Tool: "resolve_incident", Method: "PATCH", Record: inc45ID, Status: 401, Requests: 2, Reauthenticated: true, Duration: ms(2), Outcome: OutcomeUnauthorized}},
		{"no token", nil, TokenFunc(func(context.Context) (string, error) { return "", fmt.Errorf("consent required") }),
			"get_incident", `{"sys_id":"` + inc45ID + `"}`,
			CallEvent{Tool: "get_incident", Method: "GET", Record: inc45ID, Outcome: OutcomeNoToken}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log *auditLog
			_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { log.ticking(tt.handle)(w, r, n) })
			log = recordAudit(c)
			if tt.tokens != nil {
				c.Tokens = tt.tokens
			}
			run(t, c, tt.tool, tt.input)
			want := tt.want
			want.Time, want.Table = t0, "incident"
			if d := cmp.Diff([]CallEvent{want}, log.list()); d != "" {
				t.Errorf("audit events (-want +got):\n%s", d)
			}
		})
	}
}

func TestCanceledToolCallIsAuditedAsCanceled(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
	log := recordAudit(c)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := toolNamed(t, c, "query_incidents").Handler(ctx, json.RawMessage(`{}`)); err == nil {
		t.Fatal("canceled call returned no error")
	}
	ev := log.list()
	if len(ev) != 1 || ev[0].Outcome != OutcomeCanceled || ev[0].Tool != "query_incidents" {
		t.Errorf("audit events = %+v, want one canceled query_incidents", ev)
	}
}

func TestDirectClientCallsAreAuditedWithoutToolName(t *testing.T) {
	x := newSnowFake()
	var log *auditLog
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { log.ticking(x.handle)(w, r, n) })
	log = recordAudit(c)
	ctx := context.Background()
	c.List(ctx, "sys_user", ListOptions{Query: NewQuery().Eq("user_name", "bob.jones").Eq("active", "true"), Fields: []string{"sys_id"}})
	c.Create(ctx, "incident", map[string]string{"short_description": "x"}, ListOptions{Fields: []string{"sys_id", "number"}})
	c.Update(ctx, "incident", inc45ID, map[string]string{"state": "3"})
	c.Get(ctx, "incident", "ffffffffffffffffffffffffffffffff", ListOptions{})
	c.Update(ctx, "incident", "not-a-sys-id", map[string]string{"state": "3"})
	want := []CallEvent{
		{Time: t0, Table: "sys_user", Method: "GET", Status: 200, Requests: 1, Rows: 1, Duration: 30 * time.Millisecond, Outcome: OutcomeOK},
		{Time: t0.Add(30 * time.Millisecond), Table: "incident", Method: "POST", Record: newID, Status: 201, Requests: 1, Rows: 1, Duration: 30 * time.Millisecond, Outcome: OutcomeOK},
		{Time: t0.Add(60 * time.Millisecond), Table: "incident", Method: "PATCH", Record: inc45ID, Status: 200, Requests: 1, Rows: 1, Duration: 30 * time.Millisecond, Outcome: OutcomeOK},
		{Time: t0.Add(90 * time.Millisecond), Table: "incident", Method: "GET", Record: "ffffffffffffffffffffffffffffffff", Status: 404, Requests: 1, Duration: 30 * time.Millisecond, Outcome: OutcomeNotFound},
		{Time: t0.Add(120 * time.Millisecond), Table: "incident", Method: "PATCH", Record: "not-a-sys-id", Outcome: OutcomeInvalidInput},
	}
	if d := cmp.Diff(want, log.list()); d != "" {
		t.Errorf("audit events (-want +got):\n%s", d)
	}
}

func TestAuditEventsHoldNoTokenOrRecordContent(t *testing.T) {
	x := newSnowFake()
	_, c := newFake(t, x.handle)
	log := recordAudit(c)
	run(t, c, "query_incidents", `{"text":"VPN"}`)
	run(t, c, "get_incident", `{"number":"INC0012345"}`)
	run(t, c, "add_comment", `{"number":"INC0012345","text":"secret-ish comment text"}`)
	run(t, c, "create_incident", `{"short_description":"Printer on fire","description":"confidential details"}`)
	run(t, c, "resolve_incident", `{"number":"INC0012345","close_code":"Solved (Permanently)","close_notes":"private resolution notes"}`)
	events := log.list()
	if len(events) != 5 {
		t.Fatalf("%d audit events, want 5", len(events))
	}
	dump := fmt.Sprintf("%#v", events)
	for _, ev := range events {
		dump += ev.Detail()
	}
	for _, secret := range []string{testToken, "token-b", "VPN", "secret-ish", "Printer on fire", "confidential", "private resolution", "Jane Smith"} {
		if strings.Contains(dump, secret) {
			t.Errorf("audit events contain %q", secret)
		}
	}
}

func TestCallEventDetail(t *testing.T) {
	tests := []struct {
		ev   CallEvent
		want string
	}{
		{CallEvent{Tool: "query_incidents", Table: "incident", Method: "GET", Status: 200, Requests: 1, Rows: 5, Duration: 12345 * time.Microsecond, Outcome: OutcomeOK},
			"query_incidents incident GET 200, 5 rows, 1 request, 12ms"},
		{CallEvent{Tool: "resolve_incident", Table: "incident", Method: "PATCH", Record: "INC0012345", Status: 401, Requests: 2, Reauthenticated: true, Duration: 61 * time.Millisecond, Outcome: OutcomeUnauthorized},
			"resolve_incident incident PATCH INC0012345 401, 0 rows, 2 requests, re-authenticated, 61ms"},
		{CallEvent{Table: "sys_user", Method: "GET", Outcome: OutcomeInvalidInput},
			"client sys_user GET, 0 rows, 0 requests, 0s"},
	}
	for _, tt := range tests {
		if got := tt.ev.Detail(); got != tt.want {
			t.Errorf("Detail() = %q, want %q", got, tt.want)
		}
	}
}

func TestCallEventHop(t *testing.T) {
	ev := CallEvent{Tool: "update_incident", Table: "incident", Method: "PATCH", Record: "INC0012345", Status: 403, Requests: 1,
		Reauthenticated: true, Duration: 42 * time.Millisecond, Outcome: OutcomeForbidden}
	want := trace.Hop{Hop: trace.HopDownstream, Detail: "update_incident: PATCH incident INC0012345, re-authenticated, forbidden", Status: 403, Millis: 42}
	if d := cmp.Diff(want, ev.Hop()); d != "" {
		t.Errorf("Hop() (-want +got):\n%s", d)
	}
	ok := CallEvent{Table: "incident", Method: "GET", Status: 200, Rows: 5, Duration: time.Millisecond, Outcome: OutcomeOK}
	if d := cmp.Diff(trace.Hop{Hop: trace.HopDownstream, Detail: "GET incident", Status: 200, Rows: 5, Millis: 1}, ok.Hop()); d != "" {
		t.Errorf("Hop() (-want +got):\n%s", d)
	}
}
