package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/onbehalf/onbehalf/tool"
)

// jane's visible incidents, as display values (sysparm_display_value=true).
var janeIncidents = []struct{ sysID, number, short, priority, state, category, opened string }{
	{"a0000000000000000000000000012345", "INC0012345", "VPN connection dropping", "2 - High", "In Progress", "Network", "2026-01-05 09:00:00"},
	{"a0000000000000000000000000012389", "INC0012389", "Outlook calendar sync failure", "3 - Moderate", "New", "Software", "2026-01-07 09:00:00"},
	{"a0000000000000000000000000012401", "INC0012401", "Laptop BSOD after Windows update", "2 - High", "In Progress", "Hardware", "2026-01-09 09:00:00"},
	{"a0000000000000000000000000012455", "INC0012455", "Shared drive permission error", "3 - Moderate", "New", "Software", "2026-01-11 09:00:00"},
	{"a0000000000000000000000000012478", "INC0012478", "Zoom plugin not loading in Teams", "4 - Low", "Assigned", "Software", "2026-01-12 09:00:00"},
}

func ref(name, id string) string {
	return fmt.Sprintf(`{"display_value":%q,"link":"https://dev.service-now.com/api/now/table/sys_user/%s"}`, name, id)
}

func janeRows(n int) string {
	var rows []string
	for _, in := range janeIncidents[:n] {
		rows = append(rows, fmt.Sprintf(`{"sys_id":%q,"number":%q,"short_description":%q,"priority":%q,"state":%q,"category":%q,"assigned_to":%s,"caller_id":%s,"opened_at":%q}`,
			in.sysID, in.number, in.short, in.priority, in.state, in.category,
			ref("Jane Smith", "0a000000000000000000000000000000"), ref("Jane Smith", "0a000000000000000000000000000000"), in.opened))
	}
	return `{"result":[` + strings.Join(rows, ",") + `]}`
}

func toolNamed(t *testing.T, c *Client, name string) tool.Tool {
	t.Helper()
	for _, tl := range Tools(c) {
		if tl.Name == name {
			return tl
		}
	}
	t.Fatalf("no tool %q", name)
	return tool.Tool{}
}

func run(t *testing.T, c *Client, name, input string) tool.Result {
	t.Helper()
	res, err := toolNamed(t, c, name).Handler(context.Background(), json.RawMessage(input))
	if err != nil {
		t.Fatalf("%s(%s) returned error %v, want a result", name, input, err)
	}
	return res
}

func TestToolsAreTheIncidentToolsWithWritesMarked(t *testing.T) {
	reads := map[string]bool{"query_incidents": true, "get_incident": true}
	ts := Tools(&Client{})
	var names []string
	for _, tl := range ts {
		names = append(names, tl.Name)
		var schema map[string]any
		if err := json.Unmarshal(tl.InputSchema, &schema); err != nil || schema["type"] != "object" {
			t.Errorf("%s: input schema is not a JSON object schema: %v", tl.Name, err)
		}
		if tl.Write == reads[tl.Name] {
			t.Errorf("%s: Write = %v", tl.Name, tl.Write)
		}
		if tl.Description == "" || tl.Handler == nil {
			t.Errorf("%s: missing description or handler", tl.Name)
		}
	}
	want := []string{"query_incidents", "get_incident", "create_incident", "update_incident", "add_comment", "add_work_note", "resolve_incident"}
	if d := cmp.Diff(want, names); d != "" {
		t.Errorf("tools (-want +got):\n%s", d)
	}
}

func TestQueryIncidentsAssignedToMeReturnsExactJSON(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, janeRows(5), "X-Total-Count", "5")
	})
	res := run(t, c, "query_incidents", `{"assigned_to_me":true,"limit":5}`)
	want := `{"incidents":[` +
		`{"sys_id":"a0000000000000000000000000012345","number":"INC0012345","short_description":"VPN connection dropping","priority":"2 - High","state":"In Progress","category":"Network","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-05 09:00:00"},` +
		`{"sys_id":"a0000000000000000000000000012389","number":"INC0012389","short_description":"Outlook calendar sync failure","priority":"3 - Moderate","state":"New","category":"Software","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-07 09:00:00"},` +
		`{"sys_id":"a0000000000000000000000000012401","number":"INC0012401","short_description":"Laptop BSOD after Windows update","priority":"2 - High","state":"In Progress","category":"Hardware","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-09 09:00:00"},` +
		`{"sys_id":"a0000000000000000000000000012455","number":"INC0012455","short_description":"Shared drive permission error","priority":"3 - Moderate","state":"New","category":"Software","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-11 09:00:00"},` +
		`{"sys_id":"a0000000000000000000000000012478","number":"INC0012478","short_description":"Zoom plugin not loading in Teams","priority":"4 - Low","state":"Assigned","category":"Software","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-12 09:00:00"}` +
		`],"returned":5,"total":5}`
	if res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if res.Summary != "incident: 5 rows" {
		t.Errorf("summary = %q", res.Summary)
	}
	r := f.requests()[0]
	if r.Path != "/api/now/table/incident" ||
		r.Query.Get("sysparm_query") != "assigned_to=javascript:gs.getUserID()^ORDERBYnumber" ||
		r.Query.Get("sysparm_limit") != "6" ||
		r.Query.Get("sysparm_display_value") != "true" ||
		r.Query.Get("sysparm_fields") != "sys_id,number,short_description,priority,state,category,assigned_to,caller_id,opened_at" {
		t.Errorf("request %s %v", r.Path, r.Query)
	}
}

func TestQueryIncidentsBuildsQueryFromFilters(t *testing.T) {
	tests := []struct {
		input     string
		wantQuery string
		wantLimit string
	}{
		{`{}`, "ORDERBYnumber", "11"},
		{`{"assigned_to_me":true,"active":true}`, "assigned_to=javascript:gs.getUserID()^active=true^ORDERBYnumber", "11"},
		{`{"caller_is_me":true,"active":false}`, "caller_id=javascript:gs.getUserID()^ORDERBYnumber", "11"},
		{`{"state":"In Progress"}`, "state=2^ORDERBYnumber", "11"},
		{`{"state":"assigned"}`, "state=9^ORDERBYnumber", "11"},
		{`{"state":"6"}`, "state=6^ORDERBYnumber", "11"},
		{`{"state":"Cancelled"}`, "state=8^ORDERBYnumber", "11"},
		{`{"priority":2}`, "priority=2^ORDERBYnumber", "11"},
		{`{"priority":"1 - Critical"}`, "priority=1^ORDERBYnumber", "11"},
		{`{"priority":"Low"}`, "priority=4^ORDERBYnumber", "11"},
		{`{"category":"Network"}`, "category=network^ORDERBYnumber", "11"},
		{`{"category":"Inquiry / Help"}`, "category=inquiry^ORDERBYnumber", "11"},
		{`{"text":"  VPN  "}`, "short_descriptionLIKEVPN^ORDERBYnumber", "11"},
		{`{"opened_since":"2026-01-31"}`, "opened_at>=2026-01-31 00:00:00^ORDERBYnumber", "11"},
		{`{"opened_since":"7d"}`, "opened_at>=2026-02-03 12:30:00^ORDERBYnumber", "11"},
		{`{"opened_since":"7 D"}`, "opened_at>=2026-02-03 12:30:00^ORDERBYnumber", "11"},
		{`{"opened_since":"12h"}`, "opened_at>=2026-02-10 00:30:00^ORDERBYnumber", "11"},
		{`{"opened_since":"2w"}`, "opened_at>=2026-01-27 12:30:00^ORDERBYnumber", "11"},
		{`{"text":"ORDERBYDESCnumber"}`, "short_descriptionLIKEORDERBYDESCnumber^ORDERBYnumber", "11"},
		{`{"limit":100}`, "ORDERBYnumber", "101"},
		{`{"limit":500}`, "ORDERBYnumber", "101"},
		{`{"assigned_to_me":true,"caller_is_me":true,"active":true,"state":"New","priority":3,"category":"software","text":"sync","limit":3}`,
			"assigned_to=javascript:gs.getUserID()^caller_id=javascript:gs.getUserID()^active=true^state=1^priority=3^category=software^short_descriptionLIKEsync^ORDERBYnumber", "4"},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, 200, `{"result":[]}`, "X-Total-Count", "0")
			})
			c.Now = func() time.Time { return time.Date(2026, 2, 10, 13, 30, 0, 0, time.FixedZone("CET", 3600)) }
			res := run(t, c, "query_incidents", tt.input)
			if res.IsError || res.Content != `{"incidents":[],"returned":0,"total":0}` {
				t.Errorf("result = %s (error=%v)", res.Content, res.IsError)
			}
			r := f.requests()[0]
			if got := r.Query.Get("sysparm_query"); got != tt.wantQuery {
				t.Errorf("sysparm_query = %q, want %q", got, tt.wantQuery)
			}
			if got := r.Query.Get("sysparm_limit"); got != tt.wantLimit {
				t.Errorf("sysparm_limit = %q, want %q", got, tt.wantLimit)
			}
		})
	}
}

func TestQueryIncidentsRefusesInjectionAndBadInput(t *testing.T) {
	tests := []struct{ input, want string }{
		{`{"text":"vpn^ORcategory=hr"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"short_descriptionLIKEvpn^ORcategory=hr"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"x^NQcategory=security"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"javascript:gs.getUserID()"}`, `Invalid text: it starts with "javascript:", which a ServiceNow query cannot carry.`},
		{`{"text":"vpn\ncategory=hr"}`, "Invalid text: it contains a line break, which a ServiceNow query cannot carry."},
		{`{"text":"vpn^NQcategory=hr"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"^NQ"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"vpn\r\n^ORcategory=hr"}`, "Invalid text: it contains '^', which a ServiceNow query cannot carry."},
		{`{"text":"vpn\u2028x\u0000"}`, "Invalid text: it contains a control character, which a ServiceNow query cannot carry."},
		{`{"category":"network^ORcategory=hr"}`, "Invalid category: it contains '^', which a ServiceNow query cannot carry."},
		{`{"category":"network\ncategory=hr"}`, "Invalid category: it contains a line break, which a ServiceNow query cannot carry."},
		{`{"opened_since":"2026-01-01^ORcategory=hr"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"7d^NQactive=false"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"javascript:gs.daysAgo(7)"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"yesterday"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"0d"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"-7d"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"3651d"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"1969-12-31"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"opened_since":"2026-02-30"}`, "Invalid opened_since: use a date (2026-01-31) or how long ago (7d, 12h, 2w, at most 3650d)."},
		{`{"state":"In Progress^ORactive=false"}`, "Invalid state: use one of New, In Progress, On Hold, Resolved, Closed, Canceled, Assigned."},
		{`{"state":true}`, "Invalid state: use one of New, In Progress, On Hold, Resolved, Closed, Canceled, Assigned."},
		{`{"priority":7}`, "Invalid priority: use 1 (Critical) to 5 (Planning)."},
		{`{"priority":"2 - Low"}`, "Invalid priority: use 1 (Critical) to 5 (Planning)."},
		{`{"limit":-1}`, "Invalid limit: must be between 1 and 100."},
		{`{"limit":"ten"}`, "Invalid limit: expected a whole number."},
		{`{"assigned_to_me":"yes"}`, "Invalid assigned_to_me: expected true or false."},
		{`{"query":"assigned_to=javascript:gs.getUserID()^ORcategory=hr"}`, `Unknown input field "query".`},
		{`[1,2]`, "Invalid input: expected a JSON object."},
		{`{"text":"a"} {"text":"b"}`, "Invalid input: expected one JSON object."},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
			res := run(t, c, "query_incidents", tt.input)
			if !res.IsError || res.Content != tt.want {
				t.Errorf("result = %q (error=%v), want error %q", res.Content, res.IsError, tt.want)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("made %d requests, want none", n)
			}
		})
	}
}

func TestQueryIncidentsReportsTotalWhenMoreMatch(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, janeRows(3), "X-Total-Count", "7")
	})
	res := run(t, c, "query_incidents", `{"assigned_to_me":true,"limit":2}`)
	var got struct {
		Incidents []map[string]string
		Returned  int
		Total     int
	}
	if err := json.Unmarshal([]byte(res.Content), &got); err != nil {
		t.Fatalf("result %q: %v", res.Content, err)
	}
	if len(got.Incidents) != 2 || got.Returned != 2 || got.Total != 7 {
		t.Errorf("result = %s, want 2 returned of total 7", res.Content)
	}
	if res.Summary != "incident: 2 rows" {
		t.Errorf("summary = %q", res.Summary)
	}
}

const detailBody = `{"result":[{"sys_id":"a0000000000000000000000000012345","number":"INC0012345","short_description":"VPN connection dropping",` +
	`"priority":"2 - High","state":"In Progress","category":"Network",` +
	`"assigned_to":{"display_value":"Jane Smith","link":"https://dev.service-now.com/api/now/table/sys_user/0a000000000000000000000000000000"},` +
	`"caller_id":{"display_value":"Jane Smith","link":"https://dev.service-now.com/api/now/table/sys_user/0a000000000000000000000000000000"},` +
	`"opened_at":"2026-01-05 09:00:00","description":"VPN drops every <10 min> & reconnects","impact":"2 - Medium","urgency":"1 - High","close_code":"","close_notes":""}]}`

const detailJSON = `{"sys_id":"a0000000000000000000000000012345","number":"INC0012345","short_description":"VPN connection dropping",` +
	`"priority":"2 - High","state":"In Progress","category":"Network","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-05 09:00:00",` +
	`"description":"VPN drops every <10 min> & reconnects","impact":"2 - Medium","urgency":"1 - High","close_code":"","close_notes":""}`

func TestGetIncidentByNumberReturnsExactJSON(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, detailBody, "X-Total-Count", "1")
	})
	res := run(t, c, "get_incident", `{"number":"inc0012345"}`)
	if want := `{"incident":` + detailJSON + `}`; res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if res.Summary != "incident INC0012345" {
		t.Errorf("summary = %q", res.Summary)
	}
	r := f.requests()[0]
	if r.Path != "/api/now/table/incident" || r.Query.Get("sysparm_query") != "number=INC0012345" ||
		r.Query.Get("sysparm_limit") != "1" || r.Query.Get("sysparm_display_value") != "true" ||
		r.Query.Get("sysparm_fields") != "sys_id,number,short_description,priority,state,category,assigned_to,caller_id,opened_at,description,impact,urgency,close_code,close_notes" {
		t.Errorf("request %s %v", r.Path, r.Query)
	}
}

func TestGetIncidentBySysIDUsesRecordPath(t *testing.T) {
	record := strings.TrimSuffix(strings.TrimPrefix(detailBody, `{"result":[`), `]}`)
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":`+record+`}`)
	})
	res := run(t, c, "get_incident", `{"sys_id":"A0000000000000000000000000012345"}`)
	if want := `{"incident":` + detailJSON + `}`; res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if r := f.requests()[0]; r.Method != "GET" || r.Path != "/api/now/table/incident/a0000000000000000000000000012345" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
}

func TestGetIncidentHiddenOrMissingIsNotFound(t *testing.T) {
	// Hidden by ACLs: the list comes back empty.
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":[]}`, "X-Total-Count", "0")
	})
	if res := run(t, c, "get_incident", `{"number":"INC0012350"}`); !res.IsError || res.Content != MsgNotFound {
		t.Errorf("hidden by number: %q (error=%v), want %q", res.Content, res.IsError, MsgNotFound)
	}
	// By sys_id: ServiceNow answers 404.
	_, c = newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 404, `{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}`)
	})
	if res := run(t, c, "get_incident", `{"sys_id":"a0000000000000000000000000012350"}`); !res.IsError || res.Content != MsgNotFound {
		t.Errorf("404 by sys_id: %q (error=%v), want %q", res.Content, res.IsError, MsgNotFound)
	}
}

func TestGetIncidentInputErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{`{}`, "Give the incident's number (INC0012345) or sys_id."},
		{`{"number":"INC0012345","sys_id":"a0000000000000000000000000012345"}`, "Give the incident's number or its sys_id, not both."},
		{`{"number":"INC0012345^ORnumber=INC0012350"}`, "Invalid number: an incident number is INC followed by 7 digits."},
		{`{"number":"12345"}`, "Invalid number: an incident number is INC followed by 7 digits."},
		{`{"sys_id":"../sys_user"}`, "Invalid sys_id: a sys_id is 32 hexadecimal characters."},
	}
	for _, tt := range tests {
		f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
		if res := run(t, c, "get_incident", tt.input); !res.IsError || res.Content != tt.want {
			t.Errorf("%s: %q (error=%v), want %q", tt.input, res.Content, res.IsError, tt.want)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%s: made %d requests, want none", tt.input, n)
		}
	}
}

func TestToolFailuresAreHonestAndDistinct(t *testing.T) {
	envelope := func(msg, detail string) string {
		return `{"error":{"message":"` + msg + `","detail":"` + detail + `"},"status":"failure"}`
	}
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"401", 401, envelope("User Not Authenticated", "Required to provide Auth information"), MsgUnauthorized},
		{"403 query", 403, envelope("Insufficient rights to query records", "Field(s) present in the query do not have permission to be read"), MsgForbidden},
		{"403 update", 403, envelope("Operation Failed", "ACL Exception Update Failed due to security constraints"), MsgForbidden},
		{"404", 404, envelope("No Record found", "Record doesn't exist or ACL restricts the record retrieval"), MsgNotFound},
		{"429", 429, envelope("Rate limit exceeded", "Rate limit of 5000 requests per hour for Table API exceeded"), MsgRateLimited},
		{"400", 400, envelope("Invalid state value", ""), "ServiceNow refused the request: Invalid state value."},
		{"500", 500, "oops", MsgUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
				reply(w, tt.status, tt.body, "Retry-After", "3600")
			})
			c.NoRetry = true
			for _, call := range []struct{ name, input string }{
				{"query_incidents", `{"assigned_to_me":true}`},
				{"get_incident", `{"sys_id":"a0000000000000000000000000012345"}`},
				{"update_incident", `{"sys_id":"a0000000000000000000000000012345","state":"Resolved"}`},
				{"create_incident", `{"short_description":"Printer on fire"}`},
				{"add_comment", `{"sys_id":"a0000000000000000000000000012345","text":"Any news?"}`},
				{"add_work_note", `{"sys_id":"a0000000000000000000000000012345","text":"Escalated."}`},
				{"resolve_incident", `{"sys_id":"a0000000000000000000000000012345","close_code":"Solved (Permanently)","close_notes":"Done."}`},
			} {
				res := run(t, c, call.name, call.input)
				if !res.IsError || res.Content != tt.want {
					t.Errorf("%s: %q (error=%v), want %q", call.name, res.Content, res.IsError, tt.want)
				}
				if strings.Contains(res.Content+res.Summary, "token-b") {
					t.Errorf("%s: result mentions the token", call.name)
				}
			}
		})
	}
}

func TestToolTransportAndTokenFailures(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {})
	f.srv.Close()
	if res := run(t, c, "query_incidents", `{}`); !res.IsError || res.Content != MsgUnavailable {
		t.Errorf("closed instance: %q (error=%v), want %q", res.Content, res.IsError, MsgUnavailable)
	}
	c.Tokens = TokenFunc(func(context.Context) (string, error) { return "", errors.New("AADSTS65001: consent required") })
	if res := run(t, c, "query_incidents", `{}`); !res.IsError || res.Content != MsgNoToken {
		t.Errorf("token failure: %q (error=%v), want %q", res.Content, res.IsError, MsgNoToken)
	}
}

func TestToolReturnsErrorWhenCallIsCanceled(t *testing.T) {
	_, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) { reply(w, 200, `{"result":[]}`) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := toolNamed(t, c, "query_incidents").Handler(ctx, json.RawMessage(`{}`))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestAccessMessagesAreDistinctAndSuggestNoWorkaround(t *testing.T) {
	if MsgForbidden == MsgNotFound {
		t.Fatal("403 and 404 share a message")
	}
	for _, msg := range []string{MsgForbidden, MsgNotFound, MsgUnauthorized, MsgNoToken} {
		lower := strings.ToLower(msg)
		for _, hint := range []string{"admin", "instead", "try ", "another", "workaround", "ask", "bypass", "elevat"} {
			if strings.Contains(lower, hint) {
				t.Errorf("message %q suggests a way around the refusal (%q)", msg, hint)
			}
		}
	}
}
