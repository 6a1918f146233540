package servicenow

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// addViewer creates an active user without roles (reads incidents, no itil).
func addViewer(t *testing.T, e *testEnv) string {
	t.Helper()
	if err := e.srv.insert(context.Background(), e.srv.db, "sys_user", "admin", map[string]string{
		"user_name": "viewer", "name": "Vera Viewer", "email": "viewer@company.com", "active": "true",
	}); err != nil {
		t.Fatal(err)
	}
	return e.bearer("viewer@company.com")
}

func pick(rec map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = rec[k]
	}
	return out
}

func TestPostCreatesNumberedIncidentWithDefaultsLocationAndAudit(t *testing.T) {
	e := newTestEnv(t)
	jane := seedID("sys_user", "jane.smith")
	r := e.do(http.MethodPost, "/api/now/v2/table/incident?sysparm_exclude_reference_link=true", e.bearer("jane.smith@company.com"),
		`{"short_description":"Monitor flickers","category":"hardware","comments":"Started this morning","bogus":"x","sys_created_by":"mallory"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("POST status %d: %s", r.status, r.raw)
	}
	rec := r.body["result"].(map[string]any)
	id := rec["sys_id"].(string)
	if !sysIDRE.MatchString(id) {
		t.Fatalf("sys_id %q is not 32 lowercase hex", id)
	}
	if loc := r.header.Get("Location"); loc != e.hs.URL+"/api/now/v2/table/incident/"+id {
		t.Errorf("Location %q", loc)
	}
	want := map[string]any{
		"number": "INC0012491", "short_description": "Monitor flickers", "category": "hardware",
		"state": "1", "priority": "5", "impact": "3", "urgency": "3", "active": "true",
		"opened_by": jane, "opened_at": "2025-06-02 09:30:00", "caller_id": "", "comments": "",
		"sys_created_by": "jane.smith", "sys_updated_by": "jane.smith", "sys_mod_count": "0",
		"sys_created_on": "2025-06-02 09:30:00",
	}
	if d := cmp.Diff(want, pick(rec, "number", "short_description", "category", "state", "priority", "impact", "urgency",
		"active", "opened_by", "opened_at", "caller_id", "comments", "sys_created_by", "sys_updated_by", "sys_mod_count", "sys_created_on")); d != "" {
		t.Errorf("created record (-want +got):\n%s", d)
	}
	audit, _ := e.list("/api/now/table/sys_audit?sysparm_fields=fieldname,oldvalue,newvalue,user&sysparm_query=documentkey="+id+"^ORDERBYfieldname", e.admin())
	var fields []string
	for _, a := range audit {
		if a["user"] != "jane.smith" {
			t.Errorf("audit row names %v, want jane.smith", a["user"])
		}
		fields = append(fields, a["fieldname"].(string))
	}
	wantSame(t, "audited fields", fields, []string{"active", "category", "comments", "impact", "number", "opened_at", "opened_by", "priority", "short_description", "state", "urgency"})
	journal, _ := e.list("/api/now/table/sys_journal_field?sysparm_fields=name,element,value,sys_created_by&sysparm_query=element_id="+id, e.admin())
	if d := cmp.Diff([]map[string]any{{"name": "incident", "element": "comments", "value": "Started this morning", "sys_created_by": "jane.smith"}}, journal); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
	// The next one takes the next number.
	r = e.do(http.MethodPost, "/api/now/table/incident", e.bearer("bob.jones@company.com"), `{"short_description":"Second"}`)
	if got := r.body["result"].(map[string]any)["number"]; got != "INC0012492" {
		t.Errorf("second number %v, want INC0012492", got)
	}
	if loc := r.header.Get("Location"); !strings.HasPrefix(loc, e.hs.URL+"/api/now/table/incident/") {
		t.Errorf("unversioned Location %q", loc)
	}
}

func TestEachTaskTableNumbersWithItsOwnPrefix(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	for table, want := range map[string]string{"problem": "PRB0010001", "change_request": "CHG0010001"} {
		r := e.do(http.MethodPost, "/api/now/table/"+table, jane, `{"short_description":"x"}`)
		if r.status != http.StatusCreated {
			t.Fatalf("%s: status %d: %s", table, r.status, r.raw)
		}
		if got := r.body["result"].(map[string]any)["number"]; got != want {
			t.Errorf("%s number %v, want %s", table, got, want)
		}
	}
	r := e.do(http.MethodPost, "/api/now/table/change_request?sysparm_display_value=true", jane, `{"short_description":"y"}`)
	rec := r.body["result"].(map[string]any)
	if rec["number"] != "CHG0010002" || rec["state"] != "New" || rec["type"] != "Normal" || rec["risk"] != "Moderate" {
		t.Errorf("change defaults: %v", pick(rec, "number", "state", "type", "risk"))
	}
}

func TestCreateIsDeniedWithoutTheCreateRole(t *testing.T) {
	e := newTestEnv(t)
	viewer := addViewer(t, e)
	r := e.do(http.MethodPost, "/api/now/table/problem", viewer, `{"short_description":"x"}`)
	wantEnvelope(t, r, http.StatusForbidden, "Operation Failed", "ACL Exception Insert Failed due to security constraints")
	recs, _ := e.list("/api/now/table/problem", e.admin())
	if len(recs) != 0 {
		t.Errorf("a denied create left %d problems", len(recs))
	}
	// Anyone may open an incident; the viewer may not write work notes.
	r = e.do(http.MethodPost, "/api/now/table/incident", viewer, `{"short_description":"x","work_notes":"internal"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("viewer incident: %d %s", r.status, r.raw)
	}
	id := r.body["result"].(map[string]any)["sys_id"].(string)
	if recs, _ := e.list("/api/now/table/sys_journal_field?sysparm_query=element_id="+id, e.admin()); len(recs) != 0 {
		t.Errorf("work note written by a user without itil: %v", recs)
	}
}

// A create rule's condition is checked on the new record.
func TestCreateRuleConditionIsCheckedOnTheNewRecord(t *testing.T) {
	e := newTestEnvWith(t, func(c *Config) {
		c.ACLs = append(DefaultACLs(), ACLRule{Table: "sys_user_group", Operation: OpCreate, Roles: []string{"itil"}, Condition: "nameSTARTSWITHteam-"})
	})
	jane := e.bearer("jane.smith@company.com")
	if r := e.do(http.MethodPost, "/api/now/table/sys_user_group", jane, `{"name":"team-blue"}`); r.status != http.StatusCreated {
		t.Errorf("matching create: status %d %s", r.status, r.raw)
	}
	r := e.do(http.MethodPost, "/api/now/table/sys_user_group", jane, `{"name":"admins"}`)
	wantEnvelope(t, r, http.StatusForbidden, "Operation Failed", "ACL Exception Insert Failed due to security constraints")
	groups, _ := e.list("/api/now/table/sys_user_group?sysparm_fields=name", e.admin())
	if d := cmp.Diff([]map[string]any{{"name": "team-blue"}}, groups); d != "" {
		t.Errorf("groups (-want +got):\n%s", d)
	}
}

func TestInputDisplayValueResolvesLabelsAndNames(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	body := `{"short_description":"x","state":"In Progress","priority":"2 - High","assigned_to":"Bob Jones","category":"Hardware"}`
	r := e.do(http.MethodPost, "/api/now/table/incident?sysparm_input_display_value=true&sysparm_exclude_reference_link=true", jane, body)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	want := map[string]any{"state": "2", "priority": "2", "assigned_to": seedID("sys_user", "bob.jones"), "category": "hardware"}
	if d := cmp.Diff(want, pick(r.body["result"].(map[string]any), "state", "priority", "assigned_to", "category")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// Without the parameter a name is not a sys_id.
	r = e.do(http.MethodPost, "/api/now/table/incident", jane, `{"assigned_to":"Bob Jones"}`)
	wantEnvelope(t, r, http.StatusBadRequest, "Invalid value", "Field assigned_to expects a value of type reference")
	r = e.do(http.MethodPatch, incidentPath("INC0012345")+"?sysparm_input_display_value=true", jane, `{"assigned_to":"Nobody Known"}`)
	wantEnvelope(t, r, http.StatusBadRequest, "Invalid value", "Field assigned_to expects a value of type reference")
}

func TestDeleteIs204AuditedAndDeniedOrHiddenOtherwise(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	r := e.do(http.MethodDelete, incidentPath("INC0012345"), jane, "")
	wantEnvelope(t, r, http.StatusForbidden, "Operation Failed", "ACL Exception Delete Failed due to security constraints")
	r = e.do(http.MethodDelete, incidentPath("INC0012350"), jane, "")
	wantEnvelope(t, r, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")

	r = e.do(http.MethodDelete, incidentPath("INC0012345"), e.admin(), "")
	if r.status != http.StatusNoContent || len(r.raw) != 0 || r.header.Get("Content-Type") != "" {
		t.Fatalf("DELETE: status %d, body %q, Content-Type %q; want 204, empty", r.status, r.raw, r.header.Get("Content-Type"))
	}
	wantEnvelope(t, e.get(incidentPath("INC0012345"), e.admin()), http.StatusNotFound,
		"No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	wantEnvelope(t, e.do(http.MethodDelete, incidentPath("INC0012345"), e.admin(), ""), http.StatusNotFound,
		"No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	audit := auditRows(t, e, seedID("incident", "INC0012345"))
	want := []map[string]any{{"tablename": "incident", "fieldname": "DELETED", "documentkey": seedID("incident", "INC0012345"),
		"oldvalue": "INC0012345", "newvalue": "", "user": "admin", "sys_created_on": "2025-06-02 09:30:00"}}
	if d := cmp.Diff(want, audit); d != "" {
		t.Errorf("sys_audit (-want +got):\n%s", d)
	}
}
