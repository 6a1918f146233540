package servicenow

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// auditOf lists the sys_audit rows of one field of a record, oldest first.
func auditOf(t *testing.T, e *testEnv, id, field string) []map[string]any {
	t.Helper()
	recs, _ := e.list("/api/now/table/sys_audit?sysparm_fields=oldvalue,newvalue,user,record_checkpoint&sysparm_query=documentkey="+id+
		"^fieldname="+field+"^ORDERBYsys_created_on", e.admin())
	return recs
}

func TestPriorityIsComputedFromImpactAndUrgencyOnInsert(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	matrix := []struct{ impact, urgency, priority string }{
		{"1", "1", "1"}, {"1", "2", "2"}, {"2", "1", "2"}, {"1", "3", "3"}, {"2", "2", "3"},
		{"3", "1", "3"}, {"2", "3", "4"}, {"3", "2", "4"}, {"3", "3", "5"},
	}
	for _, m := range matrix {
		r := e.do(http.MethodPost, "/api/now/table/incident", jane,
			fmt.Sprintf(`{"short_description":"matrix","impact":"%s","urgency":"%s"}`, m.impact, m.urgency))
		if r.status != http.StatusCreated {
			t.Fatalf("POST status %d: %s", r.status, r.raw)
		}
		rec := r.body["result"].(map[string]any)
		if rec["priority"] != m.priority {
			t.Errorf("impact %s urgency %s: priority %v, want %s", m.impact, m.urgency, rec["priority"], m.priority)
		}
		want := []map[string]any{{"oldvalue": "", "newvalue": m.priority, "user": "jane.smith", "record_checkpoint": "0"}}
		if d := cmp.Diff(want, auditOf(t, e, rec["sys_id"].(string), "priority")); d != "" {
			t.Errorf("impact %s urgency %s: sys_audit of priority (-want +got):\n%s", m.impact, m.urgency, d)
		}
	}
	// One of the pair is enough; the other keeps its default (3).
	r := e.do(http.MethodPost, "/api/now/table/incident", jane, `{"short_description":"urgent","urgency":"1"}`)
	if rec := r.body["result"].(map[string]any); rec["priority"] != "3" || rec["impact"] != "3" {
		t.Errorf("urgency 1 alone: priority %v impact %v, want 3 and 3", rec["priority"], rec["impact"])
	}
	// Choice labels work too (sysparm_input_display_value).
	r = e.do(http.MethodPost, "/api/now/table/incident?sysparm_input_display_value=true", jane, `{"short_description":"labels","impact":"1 - High","urgency":"2 - Medium"}`)
	if p := r.body["result"].(map[string]any)["priority"]; p != "2" {
		t.Errorf("impact and urgency as labels: priority %v, want 2", p)
	}
}

func TestPriorityFollowsUrgencyChangedAloneAndIsAudited(t *testing.T) {
	e := newTestEnv(t)
	id := seedID("incident", "INC0012345") // P2: impact 1, urgency 2
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), e.bearer("jane.smith@company.com"), `{"urgency":"3"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH status %d: %s", r.status, r.raw)
	}
	rec := r.body["result"].(map[string]any)
	if d := cmp.Diff(map[string]any{"impact": "1", "urgency": "3", "priority": "3", "sys_mod_count": "1"},
		pick(rec, "impact", "urgency", "priority", "sys_mod_count")); d != "" {
		t.Errorf("PATCH result (-want +got):\n%s", d)
	}
	wantAudit := []map[string]any{
		{"tablename": "incident", "fieldname": "priority", "documentkey": id, "oldvalue": "2", "newvalue": "3", "user": "jane.smith", "sys_created_on": "2025-06-02 09:30:00"},
		{"tablename": "incident", "fieldname": "urgency", "documentkey": id, "oldvalue": "2", "newvalue": "3", "user": "jane.smith", "sys_created_on": "2025-06-02 09:30:00"},
	}
	if d := cmp.Diff(wantAudit, auditRows(t, e, id)); d != "" {
		t.Errorf("sys_audit (-want +got):\n%s", d)
	}
	if rows := auditOf(t, e, id, "priority"); len(rows) != 1 || rows[0]["record_checkpoint"] != "1" {
		t.Errorf("priority audit rows %v, want one with record_checkpoint 1 (the update's sys_mod_count)", rows)
	}
	// A change that lands on the same priority changes only the field.
	r = e.do(http.MethodPatch, incidentPath("INC0012345"), e.bearer("jane.smith@company.com"), `{"impact":"2","urgency":"2"}`)
	if p := r.body["result"].(map[string]any)["priority"]; p != "3" {
		t.Errorf("impact 2 urgency 2: priority %v, want 3", p)
	}
	if rows := auditOf(t, e, id, "priority"); len(rows) != 1 {
		t.Errorf("priority audit rows %v, want only the first change", rows)
	}
}

func TestExplicitPriorityGivesWayToImpactAndUrgency(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	id := seedID("incident", "INC0012345") // P2: impact 1, urgency 2
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, `{"impact":"2","priority":"1"}`)
	if p := r.body["result"].(map[string]any)["priority"]; p != "3" {
		t.Errorf("PATCH impact 2 with priority 1: priority %v, want 3 (impact 2, urgency 2)", p)
	}
	if d := cmp.Diff([]map[string]any{{"oldvalue": "2", "newvalue": "3", "user": "jane.smith", "record_checkpoint": "1"}}, auditOf(t, e, id, "priority")); d != "" {
		t.Errorf("priority audit (-want +got):\n%s", d)
	}
	r = e.do(http.MethodPost, "/api/now/table/incident", jane, `{"short_description":"explicit","impact":"1","urgency":"1","priority":"5"}`)
	if p := r.body["result"].(map[string]any)["priority"]; p != "1" {
		t.Errorf("POST impact 1 urgency 1 with priority 5: priority %v, want 1", p)
	}
}

func TestPriorityWithoutImpactOrUrgencyChangeIsKept(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	for _, c := range []struct{ body, want string }{
		{`{"priority":"4"}`, "4"},
		// impact sent with the value it has is no change.
		{`{"priority":"1","impact":"1"}`, "1"},
	} {
		r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, c.body)
		rec := r.body["result"].(map[string]any)
		if rec["priority"] != c.want || rec["impact"] != "1" || rec["urgency"] != "2" {
			t.Errorf("PATCH %s: priority %v impact %v urgency %v, want %s, 1, 2", c.body, rec["priority"], rec["impact"], rec["urgency"], c.want)
		}
	}
	r := e.do(http.MethodPost, "/api/now/table/incident", jane, `{"short_description":"only priority","priority":"2"}`)
	if rec := r.body["result"].(map[string]any); rec["priority"] != "2" || rec["impact"] != "3" || rec["urgency"] != "3" {
		t.Errorf("POST priority 2 alone: priority %v impact %v urgency %v, want 2, 3, 3", rec["priority"], rec["impact"], rec["urgency"])
	}
}

func TestPriorityRuleRunsOnProblemButNotOnChange(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	r := e.do(http.MethodPost, "/api/now/table/problem", jane, `{"short_description":"Recurring VPN drops","impact":"2","urgency":"1"}`)
	if r.status != http.StatusCreated || r.body["result"].(map[string]any)["priority"] != "2" {
		t.Errorf("problem impact 2 urgency 1: status %d priority %v, want 201 and 2", r.status, r.body["result"])
	}
	r = e.do(http.MethodPost, "/api/now/table/change_request", jane, `{"short_description":"Replace VPN gateway","impact":"1","urgency":"1"}`)
	if r.status != http.StatusCreated || r.body["result"].(map[string]any)["priority"] != "5" {
		t.Errorf("change impact 1 urgency 1: status %d priority %v, want 201 and the default 5", r.status, r.body["result"])
	}
}

func TestPriorityIgnoresUrgencyTheCallerMayNotWrite(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) {
		c.ACLs = append(DefaultACLs(), ACLRule{Table: "incident", Field: "urgency", Operation: OpWrite, Roles: []string{"incident_manager"}})
	})
	jane := e.bearer("jane.smith@company.com")
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, `{"urgency":"3"}`)
	if rec := r.body["result"].(map[string]any); rec["urgency"] != "2" || rec["priority"] != "2" {
		t.Errorf("PATCH denied urgency: urgency %v priority %v, want 2 and 2", rec["urgency"], rec["priority"])
	}
	r = e.do(http.MethodPost, "/api/now/table/incident", jane, `{"short_description":"x","urgency":"1","priority":"2"}`)
	if rec := r.body["result"].(map[string]any); rec["urgency"] != "3" || rec["priority"] != "2" {
		t.Errorf("POST denied urgency: urgency %v priority %v, want the default 3 and the sent 2", rec["urgency"], rec["priority"])
	}
}

func TestSeededIncidentsKeepTheirPrioritiesAndAgreeWithTheMatrix(t *testing.T) {
	e := newTestEnv(t)
	recs, _ := e.list("/api/now/table/incident?sysparm_fields=number,priority,impact,urgency&sysparm_query=ORDERBYnumber", e.admin())
	got := map[string]string{}
	for _, r := range recs {
		n, p := r["number"].(string), r["priority"].(string)
		got[n] = p
		if want, ok := lookupPriority(r["impact"].(string), r["urgency"].(string)); !ok || want != p {
			t.Errorf("%s: priority %s, impact %v urgency %v give %q", n, p, r["impact"], r["urgency"], want)
		}
	}
	// The article's rows, which the product's end-to-end tests rely on.
	for n, p := range map[string]string{"INC0012345": "2", "INC0012389": "3", "INC0012401": "2", "INC0012455": "3", "INC0012478": "4"} {
		if got[n] != p {
			t.Errorf("%s: priority %q, want %s", n, got[n], p)
		}
	}
}
