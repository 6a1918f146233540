package servicenow

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// clock is a test clock that can move. The server reads it from its own
// goroutines (a handler finishes its transaction log after the response).
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func TestJournalEntriesReadAsHistoryNewestFirstWithTheirAuthors(t *testing.T) {
	clk := newClock(testNow)
	e := newTestEnvWith(t, func(c *Config) { c.Now = clk.now })
	path := incidentPath("INC0012345")
	if r := e.do(http.MethodPatch, path, e.bearer("jane.smith@company.com"), `{"comments":"Rebooted the router"}`); r.status != http.StatusOK {
		t.Fatalf("PATCH comments: %d %s", r.status, r.raw)
	}
	clk.set(testNow.Add(90 * time.Second))
	r := e.do(http.MethodPatch, path, e.bearer("bob.jones@company.com"), `{"work_notes":"Escalated to network team","comments":"Still dropping"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH work_notes: %d %s", r.status, r.raw)
	}
	rec := r.body["result"].(map[string]any)
	if rec["comments"] != "" || rec["work_notes"] != "" || rec["sys_mod_count"] != "2" || rec["sys_updated_by"] != "bob.jones" {
		t.Errorf("raw journals must read \"\", mod count 2 by bob: %v", pick(rec, "comments", "work_notes", "sys_mod_count", "sys_updated_by"))
	}
	got := e.get(path+"?sysparm_display_value=true&sysparm_fields=comments,work_notes", e.bearer("jane.smith@company.com")).body["result"]
	want := map[string]any{
		"comments": "2025-06-02 09:31:30 - Bob Jones (Additional comments)\nStill dropping\n\n" +
			"2025-06-02 09:30:00 - Jane Smith (Additional comments)\nRebooted the router\n\n",
		"work_notes": "2025-06-02 09:31:30 - Bob Jones (Work notes)\nEscalated to network team\n\n",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("journal display values (-want +got):\n%s", d)
	}
	all := e.get(path+"?sysparm_display_value=all&sysparm_fields=work_notes", e.admin()).body["result"]
	if d := cmp.Diff(map[string]any{"work_notes": map[string]any{"display_value": want["work_notes"], "value": ""}}, all); d != "" {
		t.Errorf("display_value=all (-want +got):\n%s", d)
	}
	audit, _ := e.list("/api/now/table/sys_audit?sysparm_fields=fieldname,oldvalue,newvalue,user,record_checkpoint&sysparm_query=documentkey="+
		seedID("incident", "INC0012345")+"^ORDERBYsys_created_on^ORDERBYfieldname", e.admin())
	wantAudit := []map[string]any{
		{"fieldname": "comments", "oldvalue": "JOURNAL FIELD ADDITION", "newvalue": "Rebooted the router", "user": "jane.smith", "record_checkpoint": "1"},
		{"fieldname": "comments", "oldvalue": "JOURNAL FIELD ADDITION", "newvalue": "Still dropping", "user": "bob.jones", "record_checkpoint": "2"},
		{"fieldname": "work_notes", "oldvalue": "JOURNAL FIELD ADDITION", "newvalue": "Escalated to network team", "user": "bob.jones", "record_checkpoint": "2"},
	}
	if d := cmp.Diff(wantAudit, audit); d != "" {
		t.Errorf("sys_audit (-want +got):\n%s", d)
	}
	// Journals can be queried (their text), like any field.
	wantSame(t, "comments LIKE", e.numbers(incidentsWhere("commentsLIKErouter"), e.admin()), []string{"INC0012345"})
	wantSame(t, "work_notes ISEMPTY", e.numbers(incidentsWhere("work_notesISNOTEMPTY"), e.admin()), []string{"INC0012345"})
}

// Work notes are for itil (a field rule): a caller without it reads them as
// "" and may not query them (403).
func TestWorkNotesRuleBlanksValueAndRefusesQueryWithoutITIL(t *testing.T) {
	e := newTestEnv(t)
	viewer := addViewer(t, e)
	path := incidentPath("INC0012345")
	e.do(http.MethodPatch, path, e.bearer("jane.smith@company.com"), `{"work_notes":"Vendor ticket 4711"}`)

	got := e.get(path+"?sysparm_display_value=true&sysparm_fields=number,work_notes", viewer).body["result"]
	if d := cmp.Diff(map[string]any{"number": "INC0012345", "work_notes": ""}, got); d != "" {
		t.Errorf("viewer sees (-want +got):\n%s", d)
	}
	for _, q := range []string{"work_notesLIKEvendor", "number=INC0012345^ORwork_notesISNOTEMPTY", "priority=1^NQwork_notesLIKE4711"} {
		wantEnvelope(t, e.get(incidentsWhere(q), viewer), http.StatusForbidden,
			"Insufficient rights to query records", "Field(s) present in the query do not have permission to be read")
	}
	wantSame(t, "itil may query work notes", e.numbers(incidentsWhere("work_notesLIKEvendor"), e.bearer("bob.jones@company.com")), []string{"INC0012345"})
	// The viewer's PATCH: comments land, work notes do not, and the
	// record write itself is refused (no itil): 403, nothing written.
	r := e.do(http.MethodPatch, path, viewer, `{"comments":"hello"}`)
	wantEnvelope(t, r, http.StatusForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints")
}

// A field rule with a condition is decided per record, in SQL.
func TestConditionalFieldRulesAreDecidedPerRecord(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) {
		c.ACLs = append(DefaultACLs(),
			ACLRule{Table: "incident", Field: "description", Operation: OpRead, Condition: "priority>=3"},
			ACLRule{Table: "incident", Field: "short_description", Operation: OpWrite, Roles: []string{"itil"}, Condition: "state=1"},
		)
	})
	jane := e.bearer("jane.smith@company.com")
	recs, _ := e.list(incidentsWhere(janeMine+"^ORDERBYnumber")+"&sysparm_fields=number,priority,description", jane)
	got := map[string]string{}
	for _, r := range recs {
		got[r["number"].(string)] = r["description"].(string)
	}
	want := map[string]string{
		"INC0012345": "", "INC0012401": "", // priority 2: blank
		"INC0012389": "Meetings created on the phone do not appear in Outlook.",
		"INC0012455": "Access denied on the finance shared drive.",
		"INC0012478": "The Zoom add-in is missing from the Teams meeting toolbar.",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("descriptions (-want +got):\n%s", d)
	}
	// short_description is writable while state=1 only; other fields go on.
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, `{"short_description":"changed","close_notes":"n"}`) // state 2
	if rec := r.body["result"].(map[string]any); rec["short_description"] != "VPN connection dropping" || rec["close_notes"] != "n" {
		t.Errorf("state 2: %v", pick(rec, "short_description", "close_notes"))
	}
	r = e.do(http.MethodPatch, incidentPath("INC0012389"), jane, `{"short_description":"changed"}`) // state 1
	if rec := r.body["result"].(map[string]any); rec["short_description"] != "changed" {
		t.Errorf("state 1: short_description %v, want changed", rec["short_description"])
	}
	// Querying a conditionally readable field is allowed.
	wantSame(t, "query description", e.numbers(incidentsWhere(janeMine+"^descriptionLIKEoutlook"), jane), []string{"INC0012389"})
}

func TestNewConfigRejectsBadACLs(t *testing.T) {
	for name, rule := range map[string]ACLRule{
		"unknown table":       {Table: "nope", Operation: OpRead},
		"unknown operation":   {Table: "incident", Operation: "execute"},
		"unknown field":       {Table: "incident", Field: "nope", Operation: OpRead},
		"hidden field":        {Table: "sys_user", Field: "user_password", Operation: OpRead},
		"field create rule":   {Table: "incident", Field: "number", Operation: OpCreate},
		"bad condition field": {Table: "incident", Operation: OpRead, Condition: "nope=1"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(t.Context(), Config{ACLs: []ACLRule{rule}, Logger: discardLogger()})
			if err == nil {
				t.Errorf("New accepted %+v", rule)
			}
		})
	}
}

func TestSysUserGroupTablesAndDotWalkThroughGroups(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) {
		c.Seed = &Seed{
			Groups: []SeedGroup{{Name: "Network", Manager: "jane.smith"}},
			Users:  []SeedUser{{UserName: "nina.net", Name: "Nina Net", Email: "nina.net@company.com", Roles: []string{"itil"}, Groups: []string{"Network"}}},
			Records: map[string][]SeedRecord{"incident": {
				{"number": "INC0020001", "short_description": "Core switch down", "assignment_group": "Network", "category": "network"},
			}},
		}
	})
	nina := e.bearer("nina.net@company.com")
	wantSame(t, "DYNAMIC one of my groups", e.numbers(incidentsWhere("assignment_groupDYNAMIC"+dynamicMyGroups), nina), []string{"INC0020001"})
	wantSame(t, "getMyGroups", e.numbers(incidentsWhere("assignment_group=javascript:getMyGroups()"), nina), []string{"INC0020001"})
	wantSame(t, "IN getMyGroups", e.numbers(incidentsWhere("assignment_groupINjavascript:gs.getUser().getMyGroups()"), nina), []string{"INC0020001"})
	wantSame(t, "jane has no groups", e.numbers(incidentsWhere("assignment_groupDYNAMIC"+dynamicMyGroups), e.bearer("jane.smith@company.com")), nil)
	wantSame(t, "dot-walk group manager", e.numbers(incidentsWhere("assignment_group.manager.user_name=jane.smith"), nina), []string{"INC0020001"})
	wantSame(t, "DYNAMIC me", e.numbers(incidentsWhere("assigned_toDYNAMIC"+dynamicMe+"^ORDERBYnumber"), e.bearer("bob.jones@company.com")),
		[]string{"INC0012360", "INC0012420", "INC0012490"})
	wantSame(t, "unknown DYNAMIC", e.numbers(incidentsWhere("assigned_toDYNAMIC0123456789abcdef0123456789abcdef"), e.admin()), nil)
	members, _ := e.list("/api/now/table/sys_user_grmember?sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_fields=user,group", nina)
	if d := cmp.Diff([]map[string]any{{"user": "Nina Net", "group": "Network"}}, members); d != "" {
		t.Errorf("memberships (-want +got):\n%s", d)
	}
}
