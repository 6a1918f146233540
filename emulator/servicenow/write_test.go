package servicenow

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func auditRows(t *testing.T, e *testEnv, documentKey string) []map[string]any {
	t.Helper()
	recs, _ := e.list("/api/now/table/sys_audit?sysparm_fields=tablename,fieldname,documentkey,oldvalue,newvalue,user,sys_created_on&sysparm_query=documentkey="+documentKey+"^ORDERBYfieldname", e.admin())
	return recs
}

func TestPatchUpdatesFieldAndAuditsTheActingUser(t *testing.T) {
	e := newTestEnv(t)
	id := seedID("incident", "INC0012345")
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), e.bearer("jane.smith@company.com"),
		`{"state":"3","close_notes":"Waiting for the VPN vendor","short_description":"VPN connection dropping","bogus":"x","sys_id":"ffffffffffffffffffffffffffffffff"}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH status %d: %s", r.status, r.raw)
	}
	rec := r.body["result"].(map[string]any)
	want := map[string]any{
		"sys_id": id, "state": "3", "close_notes": "Waiting for the VPN vendor", "sys_mod_count": "1",
		"sys_updated_by": "jane.smith", "sys_updated_on": "2025-06-02 09:30:00", "sys_created_by": "jane.smith",
	}
	got := map[string]any{}
	for k := range want {
		got[k] = rec[k]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("PATCH result (-want +got):\n%s", d)
	}
	wantAudit := []map[string]any{
		{"tablename": "incident", "fieldname": "close_notes", "documentkey": id, "oldvalue": "", "newvalue": "Waiting for the VPN vendor", "user": "jane.smith", "sys_created_on": "2025-06-02 09:30:00"},
		{"tablename": "incident", "fieldname": "state", "documentkey": id, "oldvalue": "2", "newvalue": "3", "user": "jane.smith", "sys_created_on": "2025-06-02 09:30:00"},
	}
	if d := cmp.Diff(wantAudit, auditRows(t, e, id)); d != "" {
		t.Errorf("sys_audit (-want +got):\n%s", d)
	}
	// The change is visible to others.
	wantSame(t, "on hold", e.numbers(incidentsWhere("state=3"), e.bearer("bob.jones@company.com")), []string{"INC0012345"})
}

func TestPatchWithoutChangesWritesNothing(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), e.bearer("jane.smith@company.com"), `{"state":2,"active":true}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if mc := r.body["result"].(map[string]any)["sys_mod_count"]; mc != "0" {
		t.Errorf("sys_mod_count %v, want 0", mc)
	}
	if rows := auditRows(t, e, seedID("incident", "INC0012345")); len(rows) != 0 {
		t.Errorf("audit rows %v, want none", rows)
	}
}

func TestPatchHonoursDisplayValueAndPutIsAnAlias(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(http.MethodPut, incidentPath("INC0012401")+"?sysparm_display_value=true&sysparm_fields=state,priority", e.bearer("jane.smith@company.com"), `{"state":"6","priority":"1"}`)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	if d := cmp.Diff(map[string]any{"state": "Resolved", "priority": "1 - Critical"}, r.body["result"]); d != "" {
		t.Errorf("result (-want +got):\n%s", d)
	}
}

func TestPatchOnHiddenRecordIs404AndChangesNothing(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(http.MethodPatch, incidentPath("INC0012350"), e.bearer("jane.smith@company.com"), `{"state":"7"}`)
	wantEnvelope(t, r, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	rec := e.get(incidentPath("INC0012350"), e.admin()).body["result"].(map[string]any)
	if rec["state"] != "1" || rec["sys_mod_count"] != "0" {
		t.Errorf("hidden record changed: state %v mod_count %v", rec["state"], rec["sys_mod_count"])
	}
	if rows := auditRows(t, e, seedID("incident", "INC0012350")); len(rows) != 0 {
		t.Errorf("audit rows %v, want none", rows)
	}
}

func TestPatchWithoutITILRoleIs403(t *testing.T) {
	e := newTestEnv(t)
	if err := e.srv.insert(context.Background(), e.srv.db, "sys_user", "admin", map[string]string{
		"user_name": "viewer", "name": "Vera Viewer", "email": "viewer@company.com", "active": "true",
	}); err != nil {
		t.Fatal(err)
	}
	viewer := e.bearer("viewer@company.com")
	wantSame(t, "viewer can read", e.numbers(incidentsWhere("number=INC0012345"), viewer), []string{"INC0012345"})
	r := e.do(http.MethodPatch, incidentPath("INC0012345"), viewer, `{"state":"3"}`)
	wantEnvelope(t, r, http.StatusForbidden, "Operation Failed", "ACL Exception Update Failed due to security constraints")
	// Hidden beats forbidden: a record the viewer cannot read is 404.
	r = e.do(http.MethodPatch, incidentPath("INC0012399"), viewer, `{"state":"3"}`)
	wantEnvelope(t, r, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
}

func TestPatchRejectsBadValuesAndBodies(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	for _, body := range []string{`{"priority":"high"}`, `{"active":"maybe"}`, `{"assigned_to":"Jane Smith"}`, `{"opened_at":"yesterday"}`} {
		r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, body)
		if r.status != http.StatusBadRequest || r.body["status"] != "failure" {
			t.Errorf("%s: status %d body %s, want a 400 envelope", body, r.status, r.raw)
		}
	}
	for _, body := range []string{`not json`, `{"state":{"value":"3"}}`, `["state"]`} {
		r := e.do(http.MethodPatch, incidentPath("INC0012345"), jane, body)
		wantEnvelope(t, r, http.StatusBadRequest, "Exception while reading request", "The payload is not valid JSON.")
	}
	if rec := e.get(incidentPath("INC0012345"), e.admin()).body["result"].(map[string]any); rec["sys_mod_count"] != "0" {
		t.Errorf("a rejected PATCH changed the record: %v", rec)
	}
}

func TestUnsupportedMethodsAre405(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct{ method, path, allow string }{
		{http.MethodPost, incidentPath("INC0012345"), "GET, PUT, PATCH, DELETE"},
		{http.MethodPatch, "/api/now/table/incident", "GET, POST"},
		{http.MethodDelete, "/api/now/table/incident", "GET, POST"},
	} {
		r := e.do(c.method, c.path, e.admin(), `{"short_description":"x"}`)
		wantEnvelope(t, r, http.StatusMethodNotAllowed, "Method not Supported", "The requested method is not supported by this resource")
		if a := r.header.Get("Allow"); a != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, a, c.allow)
		}
	}
}

func TestHiddenRecordBySysIDIs404(t *testing.T) {
	e := newTestEnv(t)
	jane := e.bearer("jane.smith@company.com")
	for _, n := range []string{"INC0012350", "INC0012399"} {
		wantEnvelope(t, e.get(incidentPath(n), jane), http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		if r := e.get(incidentPath(n), e.admin()); r.status != http.StatusOK {
			t.Errorf("admin GET %s: status %d", n, r.status)
		}
	}
	wantEnvelope(t, e.get("/api/now/table/incident/0123456789abcdef0123456789abcdef", e.admin()), http.StatusNotFound,
		"No Record found", "Record doesn't exist or ACL restricts the record retrieval")
	if r := e.get(incidentPath("INC0012350"), e.bearer("hr.partner@company.com")); r.status != http.StatusOK {
		t.Errorf("hr.partner GET INC0012350: status %d, want 200", r.status)
	}
}
