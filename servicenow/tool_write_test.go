package servicenow

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const detailFieldList = "sys_id,number,short_description,priority,state,category,assigned_to,caller_id,opened_at,description,impact,urgency,close_code,close_notes"

// detailWith is detailJSON (INC0012345 as seeded) with replacements
// applied, each pair a JSON member as seeded and as wanted.
func detailWith(pairs ...string) string { return strings.NewReplacer(pairs...).Replace(detailJSON) }

// wantRequests checks method, path and selected parameters of each request.
func wantRequests(t *testing.T, got []recorded, want []string) {
	t.Helper()
	var lines []string
	for _, r := range got {
		line := r.Method + " " + r.Path
		for _, p := range []string{"sysparm_query", "sysparm_fields", "sysparm_limit", "sysparm_display_value"} {
			if r.Query.Has(p) {
				line += " " + p + "=" + r.Query.Get(p)
			}
		}
		lines = append(lines, line)
	}
	if d := cmp.Diff(want, lines); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

func bodyOf(t *testing.T, r recorded) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("%s %s body %q: %v", r.Method, r.Path, r.Body, err)
	}
	return m
}

const (
	lookupMe     = "GET /api/now/table/sys_user sysparm_query=sys_id=javascript:gs.getUserID()^active=true sysparm_fields=sys_id sysparm_limit=2"
	postIncident = "POST /api/now/table/incident sysparm_fields=" + detailFieldList + " sysparm_display_value=all"
	lookup45     = "GET /api/now/table/incident sysparm_query=number=INC0012345 sysparm_fields=sys_id sysparm_limit=1"
	patch45      = "PATCH /api/now/table/incident/" + inc45ID + " sysparm_fields=" + detailFieldList + " sysparm_display_value=all"
	patch45Row   = "PATCH /api/now/table/incident/" + inc45ID + " sysparm_fields=sys_id,number,short_description,priority,state,category,assigned_to,caller_id,opened_at sysparm_display_value=all"
)

func TestUpdateIncidentResolvesNumberThenPatches(t *testing.T) {
	x := newSnowFake()
	f, c := newFake(t, x.handle)
	res := run(t, c, "update_incident", `{"number":"inc0012345","state":"Resolved","priority":3,"close_code":"solved  (permanently)","close_notes":" Replaced the VPN client. "}`)
	want := `{"incident":` + detailWith(`"state":"In Progress"`, `"state":"Resolved"`, `"priority":"2 - High"`, `"priority":"3 - Moderate"`,
		`"close_code":""`, `"close_code":"Solved (Permanently)"`, `"close_notes":""`, `"close_notes":"Replaced the VPN client."`) +
		`,"updated":["state","priority","close_code","close_notes"]}`
	if res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if res.Summary != "incident INC0012345: updated state, priority, close_code, close_notes" {
		t.Errorf("summary = %q", res.Summary)
	}
	reqs := f.requests()
	wantRequests(t, reqs, []string{lookup45, patch45})
	wantBody := map[string]string{"state": "6", "priority": "3", "close_code": "Solved (Permanently)", "close_notes": "Replaced the VPN client."}
	if d := cmp.Diff(wantBody, bodyOf(t, reqs[1])); d != "" {
		t.Errorf("PATCH body (-want +got):\n%s", d)
	}
	for _, r := range reqs {
		if r.Header.Get("Authorization") != "Bearer "+testToken {
			t.Errorf("%s Authorization = %q", r.Method, r.Header.Get("Authorization"))
		}
	}
}

func TestUpdateIncidentReportsFieldsServiceNowDidNotApply(t *testing.T) {
	// Priority is computed from impact and urgency: the write is dropped.
	x := newSnowFake()
	x.computePriority = true
	_, c := newFake(t, x.handle)
	res := run(t, c, "update_incident", `{"sys_id":"`+inc45ID+`","state":"6","priority":"4"}`)
	want := `{"incident":` + detailWith(`"state":"In Progress"`, `"state":"Resolved"`) + `,"updated":["state"],"not_applied":["priority"]}`
	if res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if res.Summary != "incident INC0012345: updated state; not applied priority" {
		t.Errorf("summary = %q", res.Summary)
	}
}

func TestUpdateIncidentAssignsByUserNameEmailOrMe(t *testing.T) {
	tests := []struct{ who, wantQuery, wantID, wantName string }{
		{"bob.jones", "user_name=bob.jones^active=true", bobID, "Bob Jones"},
		{"Bob.Jones@Company.com", "email=bob.jones@company.com^active=true", bobID, "Bob Jones"},
		{"ME", "sys_id=javascript:gs.getUserID()^active=true", janeID, "Jane Smith"},
	}
	for _, tt := range tests {
		t.Run(tt.who, func(t *testing.T) {
			x := newSnowFake()
			x.rec["assigned_to"] = ""
			f, c := newFake(t, x.handle)
			res := run(t, c, "update_incident", `{"number":"INC0012345","assigned_to":"`+tt.who+`"}`)
			want := `{"incident":` + detailWith(`"assigned_to":"Jane Smith"`, `"assigned_to":"`+tt.wantName+`"`) + `,"updated":["assigned_to"]}`
			if res.IsError || res.Content != want {
				t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
			}
			reqs := f.requests()
			wantRequests(t, reqs, []string{lookup45, "GET /api/now/table/sys_user sysparm_query=" + tt.wantQuery + " sysparm_fields=sys_id sysparm_limit=2", patch45})
			if d := cmp.Diff(map[string]string{"assigned_to": tt.wantID}, bodyOf(t, reqs[len(reqs)-1])); d != "" {
				t.Errorf("PATCH body (-want +got):\n%s", d)
			}
		})
	}
}

func TestUpdateIncidentUnknownAssigneeWritesNothing(t *testing.T) {
	x := newSnowFake()
	f, c := newFake(t, x.handle)
	res := run(t, c, "update_incident", `{"number":"INC0012345","state":"Resolved","assigned_to":"mallory"}`)
	if want := "Invalid assigned_to: no active ServiceNow user you can see has that user name or email."; !res.IsError || res.Content != want {
		t.Errorf("result = %q (error=%v), want %q", res.Content, res.IsError, want)
	}
	wantRequests(t, f.requests(), []string{lookup45, "GET /api/now/table/sys_user sysparm_query=user_name=mallory^active=true sysparm_fields=sys_id sysparm_limit=2"})
	if x.rec["state"] != "2" {
		t.Errorf("state = %q, want unchanged 2", x.rec["state"])
	}
}

func TestUpdateIncidentInputErrors(t *testing.T) {
	codes := "Solved (Work Around), Solved (Permanently), Solved Remotely (Work Around), Solved Remotely (Permanently), Not Solved (Not Reproducible), Not Solved (Too Costly), Closed/Resolved by Caller"
	tests := []struct{ input, want string }{
		{`{"number":"INC0012345"}`, "Nothing to update: give state, priority, assigned_to, close_code or close_notes."},
		{`{"number":"INC0012345","state":"Done"}`, "Invalid state: use one of New, In Progress, On Hold, Resolved, Closed, Canceled, Assigned."},
		{`{"number":"INC0012345","priority":0}`, "Invalid priority: use 1 (Critical) to 5 (Planning)."},
		{`{"number":"INC0012345","close_code":"Fixed it"}`, "Invalid close_code: use one of " + codes + "."},
		{`{"number":"INC0012345","close_code":"Solved (Permanently)^ORstate=7"}`, "Invalid close_code: use one of " + codes + "."},
		{`{"number":"INC0012345","close_notes":"` + strings.Repeat("x", maxNotesLen+1) + `"}`, "Invalid close_notes: longer than 4000 characters."},
		{`{"number":"INC0012345","close_notes":"ok\u0000"}`, "Invalid close_notes: contains a control character."},
		{`{"number":"INC0012345","assigned_to":"bob^ORuser_name=admin"}`, `Invalid assigned_to: use "me", a ServiceNow user name or an email address.`},
		{`{"number":"INC0012345","assigned_to":"bob\njones"}`, `Invalid assigned_to: use "me", a ServiceNow user name or an email address.`},
		{`{"number":"INC0012345","comments":"hi"}`, `Unknown input field "comments".`},
		{`{"number":"INC0012345","caller_id":"` + bobID + `"}`, `Unknown input field "caller_id".`},
		{`{"state":"New"}`, "Give the incident's number (INC0012345) or sys_id."},
		{`{"number":"INC0012345^ORnumber=INC0012350","state":"New"}`, "Invalid number: an incident number is INC followed by 7 digits."},
	}
	for _, tt := range tests {
		f, c := newFake(t, newSnowFake().handle)
		if res := run(t, c, "update_incident", tt.input); !res.IsError || res.Content != tt.want {
			t.Errorf("%.70s: %q (error=%v), want %q", tt.input, res.Content, res.IsError, tt.want)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%.70s: made %d requests, want none", tt.input, n)
		}
	}
}

const createdJSON = `{"sys_id":"` + newID + `","number":"INC0012491","short_description":"Printer on fire","priority":"2 - High","state":"New",` +
	`"category":"Hardware","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-02-01 10:00:00",` +
	`"description":"Smoke ^ORcategory=hr <b>now</b>","impact":"2 - Medium","urgency":"1 - High","close_code":"","close_notes":""}`

func TestCreateIncidentPostsAsTheUserAndReturnsExactJSON(t *testing.T) {
	x := newSnowFake()
	x.computePriority = true
	f, c := newFake(t, x.handle)
	res := run(t, c, "create_incident", `{"short_description":" Printer on fire ","description":"Smoke ^ORcategory=hr <b>now</b>","category":"Hardware","impact":2,"urgency":"1 - High","assigned_to":"me"}`)
	if want := `{"incident":` + createdJSON + `}`; res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	if res.Summary != "incident INC0012491: created" {
		t.Errorf("summary = %q", res.Summary)
	}
	reqs := f.requests()
	// One lookup of the signed-in user serves caller and assignee.
	wantRequests(t, reqs, []string{lookupMe, postIncident})
	wantBody := map[string]string{"short_description": "Printer on fire", "description": "Smoke ^ORcategory=hr <b>now</b>",
		"category": "hardware", "impact": "2", "urgency": "1", "caller_id": janeID, "assigned_to": janeID}
	if d := cmp.Diff(wantBody, bodyOf(t, reqs[1])); d != "" {
		t.Errorf("POST body (-want +got):\n%s", d)
	}
}

func TestCreateIncidentReportsComputedPriorityAsNotApplied(t *testing.T) {
	x := newSnowFake()
	x.computePriority = true
	f, c := newFake(t, x.handle)
	res := run(t, c, "create_incident", `{"short_description":"Printer on fire","priority":1}`)
	var got struct {
		Incident   incidentDetail `json:"incident"`
		NotApplied []string       `json:"not_applied"`
	}
	if err := json.Unmarshal([]byte(res.Content), &got); err != nil || res.IsError {
		t.Fatalf("result %q (error=%v): %v", res.Content, res.IsError, err)
	}
	if got.Incident.Priority != "5 - Planning" || !cmp.Equal(got.NotApplied, []string{"priority"}) || got.Incident.AssignedTo != "" {
		t.Errorf("result = %s, want priority 5 - Planning, not_applied [priority], unassigned", res.Content)
	}
	if res.Summary != "incident INC0012491: created; not applied priority" {
		t.Errorf("summary = %q", res.Summary)
	}
	reqs := f.requests()
	wantRequests(t, reqs, []string{lookupMe, postIncident})
	if d := cmp.Diff(map[string]string{"short_description": "Printer on fire", "priority": "1", "caller_id": janeID}, bodyOf(t, reqs[1])); d != "" {
		t.Errorf("POST body (-want +got):\n%s", d)
	}
}

func TestCreateIncidentAssignsAnotherUserButTheCallerIsAlwaysMe(t *testing.T) {
	f, c := newFake(t, newSnowFake().handle)
	res := run(t, c, "create_incident", `{"short_description":"Printer on fire","assigned_to":"bob.jones@company.com"}`)
	var got struct {
		Incident incidentDetail `json:"incident"`
	}
	if err := json.Unmarshal([]byte(res.Content), &got); err != nil || res.IsError {
		t.Fatalf("result %q (error=%v): %v", res.Content, res.IsError, err)
	}
	if got.Incident.Caller != "Jane Smith" || got.Incident.AssignedTo != "Bob Jones" {
		t.Errorf("caller %q, assigned to %q; want Jane Smith, Bob Jones", got.Incident.Caller, got.Incident.AssignedTo)
	}
	reqs := f.requests()
	wantRequests(t, reqs, []string{lookupMe, "GET /api/now/table/sys_user sysparm_query=email=bob.jones@company.com^active=true sysparm_fields=sys_id sysparm_limit=2", postIncident})
	if d := cmp.Diff(map[string]string{"short_description": "Printer on fire", "caller_id": janeID, "assigned_to": bobID}, bodyOf(t, reqs[2])); d != "" {
		t.Errorf("POST body (-want +got):\n%s", d)
	}
}

func TestCreateIncidentWithoutTheUsersOwnRecordCreatesNothing(t *testing.T) {
	f, c := newFake(t, func(w http.ResponseWriter, r *http.Request, n int) {
		reply(w, 200, `{"result":[]}`, "X-Total-Count", "0")
	})
	res := run(t, c, "create_incident", `{"short_description":"Printer on fire"}`)
	if !res.IsError || res.Content != MsgNoSelf {
		t.Errorf("result = %q (error=%v), want %q", res.Content, res.IsError, MsgNoSelf)
	}
	wantRequests(t, f.requests(), []string{lookupMe})
}

func TestCreateIncidentInputErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{`{}`, "Give a short_description: a one-line summary of the problem."},
		{`{"short_description":"   "}`, "Give a short_description: a one-line summary of the problem."},
		{`{"short_description":"` + strings.Repeat("é", maxShortDescLen+1) + `"}`, "Invalid short_description: longer than 160 characters."},
		{`{"short_description":"VPN\ncategory=hr"}`, "Invalid short_description: must be one line."},
		{`{"short_description":"x","description":"` + strings.Repeat("x", maxNotesLen+1) + `"}`, "Invalid description: longer than 4000 characters."},
		{`{"short_description":"x","category":"Facilities"}`, "Invalid category: use one of Inquiry / Help, Software, Hardware, Network, Database, HR, Security."},
		{`{"short_description":"x","impact":4}`, "Invalid impact: use 1 (High), 2 (Medium) or 3 (Low)."},
		{`{"short_description":"x","urgency":"2 - High"}`, "Invalid urgency: use 1 (High), 2 (Medium) or 3 (Low)."},
		{`{"short_description":"x","priority":9}`, "Invalid priority: use 1 (Critical) to 5 (Planning)."},
		{`{"short_description":"x","assigned_to":"javascript:gs.getUserID()"}`, `Invalid assigned_to: use "me", a ServiceNow user name or an email address.`},
		{`{"short_description":"x","caller_id":"` + bobID + `"}`, `Unknown input field "caller_id".`},
		{`{"short_description":"x","state":"Resolved"}`, `Unknown input field "state".`},
	}
	for _, tt := range tests {
		f, c := newFake(t, newSnowFake().handle)
		if res := run(t, c, "create_incident", tt.input); !res.IsError || res.Content != tt.want {
			t.Errorf("%.70s: %q (error=%v), want %q", tt.input, res.Content, res.IsError, tt.want)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%.70s: made %d requests, want none", tt.input, n)
		}
	}
}

const rowJSON45 = `{"sys_id":"a0000000000000000000000000012345","number":"INC0012345","short_description":"VPN connection dropping",` +
	`"priority":"2 - High","state":"In Progress","category":"Network","assigned_to":"Jane Smith","caller":"Jane Smith","opened_at":"2026-01-05 09:00:00"}`

func TestJournalToolsPatchCommentsAndWorkNotes(t *testing.T) {
	tests := []struct{ tool, input, field, text, added, summary string }{
		{"add_comment", `{"number":"INC0012345","text":"  Fixed ^ORcategory=hr\nplease confirm  "}`, "comments", "Fixed ^ORcategory=hr\nplease confirm", "comment", "incident INC0012345: added comment"},
		{"add_work_note", `{"number":"INC0012345","text":"Escalated to network team."}`, "work_notes", "Escalated to network team.", "work_note", "incident INC0012345: added work note"},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			f, c := newFake(t, newSnowFake().handle)
			res := run(t, c, tt.tool, tt.input)
			if want := `{"incident":` + rowJSON45 + `,"added":"` + tt.added + `"}`; res.IsError || res.Content != want {
				t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
			}
			if res.Summary != tt.summary {
				t.Errorf("summary = %q, want %q", res.Summary, tt.summary)
			}
			reqs := f.requests()
			wantRequests(t, reqs, []string{lookup45, patch45Row})
			if d := cmp.Diff(map[string]string{tt.field: tt.text}, bodyOf(t, reqs[1])); d != "" {
				t.Errorf("PATCH body (-want +got):\n%s", d)
			}
		})
	}
}

func TestJournalToolsInputErrors(t *testing.T) {
	tests := []struct{ input, want string }{
		{`{"number":"INC0012345"}`, "Give the text of the comment."},
		{`{"number":"INC0012345","text":" \n "}`, "Give the text of the comment."},
		{`{"number":"INC0012345","text":"` + strings.Repeat("ü", maxNotesLen+1) + `"}`, "Invalid text: longer than 4000 characters."},
		{`{"number":"INC0012345","text":"bell\u0007"}`, "Invalid text: contains a control character."},
		{`{"text":"hello"}`, "Give the incident's number (INC0012345) or sys_id."},
		{`{"number":"INC0012345","text":"hi","visibility":"public"}`, `Unknown input field "visibility".`},
	}
	for _, tt := range tests {
		f, c := newFake(t, newSnowFake().handle)
		if res := run(t, c, "add_comment", tt.input); !res.IsError || res.Content != tt.want {
			t.Errorf("%.70s: %q (error=%v), want %q", tt.input, res.Content, res.IsError, tt.want)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%.70s: made %d requests, want none", tt.input, n)
		}
	}
	_, c := newFake(t, newSnowFake().handle)
	if res := run(t, c, "add_work_note", `{"number":"INC0012345"}`); res.Content != "Give the text of the work note." {
		t.Errorf("add_work_note without text: %q", res.Content)
	}
}

func TestResolveIncidentPatchesStateCodeAndNotes(t *testing.T) {
	f, c := newFake(t, newSnowFake().handle)
	res := run(t, c, "resolve_incident", `{"sys_id":"`+strings.ToUpper(inc45ID)+`","close_code":"Solved Remotely (Permanently)","close_notes":"Reinstalled the VPN client; see KB0010001 ^ details."}`)
	want := `{"incident":` + detailWith(`"state":"In Progress"`, `"state":"Resolved"`, `"close_code":""`, `"close_code":"Solved Remotely (Permanently)"`,
		`"close_notes":""`, `"close_notes":"Reinstalled the VPN client; see KB0010001 ^ details."`) + `,"updated":["state","close_code","close_notes"]}`
	if res.IsError || res.Content != want {
		t.Errorf("result (error=%v):\n got %s\nwant %s", res.IsError, res.Content, want)
	}
	reqs := f.requests()
	wantRequests(t, reqs, []string{patch45})
	wantBody := map[string]string{"state": "6", "close_code": "Solved Remotely (Permanently)", "close_notes": "Reinstalled the VPN client; see KB0010001 ^ details."}
	if d := cmp.Diff(wantBody, bodyOf(t, reqs[0])); d != "" {
		t.Errorf("PATCH body (-want +got):\n%s", d)
	}
}

func TestResolveIncidentInputErrors(t *testing.T) {
	codes := "Solved (Work Around), Solved (Permanently), Solved Remotely (Work Around), Solved Remotely (Permanently), Not Solved (Not Reproducible), Not Solved (Too Costly), Closed/Resolved by Caller"
	tests := []struct{ input, want string }{
		{`{"number":"INC0012345","close_notes":"Done."}`, "Invalid close_code: use one of " + codes + "."},
		{`{"number":"INC0012345","close_code":"Resolved","close_notes":"Done."}`, "Invalid close_code: use one of " + codes + "."},
		{`{"number":"INC0012345","close_code":"Solved (Permanently)"}`, "Give close_notes: what was done to resolve the incident."},
		{`{"number":"INC0012345","close_code":"Solved (Permanently)","close_notes":"Done.","state":"7"}`, `Unknown input field "state".`},
		{`{"close_code":"Solved (Permanently)","close_notes":"Done."}`, "Give the incident's number (INC0012345) or sys_id."},
	}
	for _, tt := range tests {
		f, c := newFake(t, newSnowFake().handle)
		if res := run(t, c, "resolve_incident", tt.input); !res.IsError || res.Content != tt.want {
			t.Errorf("%.70s: %q (error=%v), want %q", tt.input, res.Content, res.IsError, tt.want)
		}
		if n := len(f.requests()); n != 0 {
			t.Errorf("%.70s: made %d requests, want none", tt.input, n)
		}
	}
}

func TestWriteToolsOnAHiddenNumberAreNotFoundAndWriteNothing(t *testing.T) {
	for _, call := range []struct{ name, input string }{
		{"update_incident", `{"number":"INC0012350","state":"Resolved"}`},
		{"add_comment", `{"number":"INC0012350","text":"hi"}`},
		{"add_work_note", `{"number":"INC0012350","text":"hi"}`},
		{"resolve_incident", `{"number":"INC0012350","close_code":"Solved (Permanently)","close_notes":"Done."}`},
	} {
		f, c := newFake(t, newSnowFake().handle)
		if res := run(t, c, call.name, call.input); !res.IsError || res.Content != MsgNotFound {
			t.Errorf("%s: %q (error=%v), want %q", call.name, res.Content, res.IsError, MsgNotFound)
		}
		if reqs := f.requests(); len(reqs) != 1 || reqs[0].Method != "GET" {
			t.Errorf("%s: requests %v, want only the lookup", call.name, reqs)
		}
	}
}
