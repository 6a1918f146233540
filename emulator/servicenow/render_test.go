package servicenow

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func incidentPath(number string) string {
	return "/api/now/table/incident/" + seedID("incident", number)
}

// allStrings fails unless every leaf of v is a string.
func allStrings(t *testing.T, where string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string:
	case map[string]any:
		for k, vv := range x {
			allStrings(t, where+"."+k, vv)
		}
	default:
		t.Errorf("%s is %T (%v), want a string", where, v, v)
	}
}

func TestRecordShapesForEachDisplayValueMode(t *testing.T) {
	e := newTestEnv(t)
	jane := seedID("sys_user", "jane.smith")
	link := e.hs.URL + "/api/now/table/sys_user/" + jane
	auth := e.bearer("jane.smith@company.com")
	cases := []struct {
		params string
		want   map[string]any
	}{
		{"", map[string]any{
			"number": "INC0012345", "priority": "2", "state": "2", "category": "network", "active": "true",
			"sys_mod_count": "0", "close_code": "", "opened_at": "2025-03-03 08:00:00",
			"assigned_to": map[string]any{"link": link, "value": jane},
		}},
		{"?sysparm_display_value=false&sysparm_exclude_reference_link=true", map[string]any{
			"number": "INC0012345", "priority": "2", "state": "2", "category": "network", "active": "true",
			"sys_mod_count": "0", "close_code": "", "opened_at": "2025-03-03 08:00:00",
			"assigned_to": jane,
		}},
		{"?sysparm_display_value=true", map[string]any{
			"number": "INC0012345", "priority": "2 - High", "state": "In Progress", "category": "Network", "active": "true",
			"sys_mod_count": "0", "close_code": "", "opened_at": "2025-03-03 08:00:00",
			"assigned_to": map[string]any{"display_value": "Jane Smith", "link": link},
		}},
		{"?sysparm_display_value=true&sysparm_exclude_reference_link=true", map[string]any{
			"number": "INC0012345", "priority": "2 - High", "state": "In Progress", "category": "Network", "active": "true",
			"sys_mod_count": "0", "close_code": "", "opened_at": "2025-03-03 08:00:00",
			"assigned_to": "Jane Smith",
		}},
		{"?sysparm_display_value=all", map[string]any{
			"number":        map[string]any{"display_value": "INC0012345", "value": "INC0012345"},
			"priority":      map[string]any{"display_value": "2 - High", "value": "2"},
			"state":         map[string]any{"display_value": "In Progress", "value": "2"},
			"category":      map[string]any{"display_value": "Network", "value": "network"},
			"active":        map[string]any{"display_value": "true", "value": "true"},
			"sys_mod_count": map[string]any{"display_value": "0", "value": "0"},
			"close_code":    map[string]any{"display_value": "", "value": ""},
			"opened_at":     map[string]any{"display_value": "2025-03-03 08:00:00", "value": "2025-03-03 08:00:00"},
			"assigned_to":   map[string]any{"display_value": "Jane Smith", "value": jane, "link": link},
		}},
	}
	for _, c := range cases {
		t.Run(c.params, func(t *testing.T) {
			r := e.get(incidentPath("INC0012345")+c.params, auth)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != contentTypeJSON {
				t.Errorf("Content-Type %q", ct)
			}
			rec := r.body["result"].(map[string]any)
			allStrings(t, "result", rec)
			got := map[string]any{}
			for k := range c.want {
				got[k] = rec[k]
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Errorf("fields (-want +got):\n%s", d)
			}
			if _, ok := rec["user_password"]; ok {
				t.Error("a hidden field was rendered")
			}
		})
	}
}

func TestEmptyReferenceRendersAsEmptyString(t *testing.T) {
	e := newTestEnv(t)
	r := e.do(http.MethodPatch, incidentPath("INC0012345")+"?sysparm_display_value=true", e.admin(), `{"assigned_to":""}`)
	if r.status != http.StatusOK {
		t.Fatalf("PATCH status %d: %s", r.status, r.raw)
	}
	for _, dv := range []string{"false", "true"} {
		rec := e.get(incidentPath("INC0012345")+"?sysparm_display_value="+dv, e.admin()).body["result"].(map[string]any)
		if rec["assigned_to"] != "" {
			t.Errorf("display_value=%s: empty assigned_to = %#v, want \"\"", dv, rec["assigned_to"])
		}
	}
}

func TestSysparmFieldsSelectsKnownFieldsOnly(t *testing.T) {
	e := newTestEnv(t)
	recs, _ := e.list(incidentsWhere(janeMine)+"&sysparm_fields=number,short_description,no_such_field,user_password,assigned_to", e.bearer("jane.smith@company.com"))
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5", len(recs))
	}
	for _, rec := range recs {
		var keys []string
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !slices.Equal(keys, []string{"assigned_to", "number", "short_description"}) {
			t.Errorf("keys %q, want assigned_to, number, short_description", keys)
		}
	}
}

func TestDisplayValueOfReferenceToReferenceTable(t *testing.T) {
	e := newTestEnv(t)
	// sys_user_has_role displays its role's name.
	recs, _ := e.list("/api/now/table/sys_user_has_role?sysparm_display_value=true&sysparm_exclude_reference_link=true&sysparm_query=user.user_name=hr.partner^ORDERBYrole", e.admin())
	var got []string
	for _, r := range recs {
		got = append(got, r["user"].(string)+"/"+r["role"].(string))
	}
	wantSame(t, "hr.partner roles", got, []string{"Harriet Partner/itil", "Harriet Partner/sn_hr_core.case_reader"})
}
