package servicenow

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// walkSeed adds two users with a department and a title, two groups they
// manage and an incident assigned to each, for dot-walk tests.
func walkSeed(ninaInactive bool) *Seed {
	return &Seed{
		Groups: []SeedGroup{{Name: "Network Ops", Manager: "nina.lead"}, {Name: "Service Desk", Manager: "omar.ops"}},
		Users: []SeedUser{
			{UserName: "nina.lead", Name: "Nina Lead", Email: "nina.lead@company.com", Department: "Networks", Title: "Team lead", Roles: []string{"itil"}, Inactive: ninaInactive},
			{UserName: "omar.ops", Name: "Omar Ops", Email: "omar.ops@company.com", Department: "Operations", Title: "Engineer", Roles: []string{"itil"}},
		},
		Records: map[string][]SeedRecord{"incident": {
			{"number": "INC0020001", "short_description": "Core switch down", "category": "network",
				"assigned_to": "nina.lead", "assignment_group": "Network Ops", "caller_id": "jane.smith"},
			{"number": "INC0020002", "short_description": "Ticket queue stuck", "category": "software",
				"assigned_to": "omar.ops", "assignment_group": "Service Desk", "caller_id": "bob.jones"},
		}},
	}
}

func newWalkEnv(t *testing.T, acls []ACLRule, ninaInactive bool) *testEnv {
	t.Helper()
	return newTestEnvWith(t, func(c *Config) {
		c.Seed = walkSeed(ninaInactive)
		c.ACLs = acls
	})
}

const walkIncidents = "/api/now/table/incident?sysparm_query=numberSTARTSWITHINC00200%5EORDERBYnumber"

func fieldsParam(names ...string) string {
	return "sysparm_fields=" + url.QueryEscape(strings.Join(names, ","))
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestDotWalkedFieldsRenderLikeTheirTargetInEachDisplayMode(t *testing.T) {
	e := newWalkEnv(t, nil, false)
	nina := seedID("sys_user", "nina.lead")
	link := e.hs.URL + "/api/now/table/sys_user/" + nina
	fields := fieldsParam("number", "assigned_to.name", "assigned_to.email", "assigned_to.department", "assigned_to.active",
		"caller_id.user_name", "assignment_group.manager")
	both := func(v string) map[string]any { return map[string]any{"display_value": v, "value": v} }
	cases := []struct {
		params string
		want   map[string]any
	}{
		{"", map[string]any{
			"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "nina.lead@company.com",
			"assigned_to.department": "Networks", "assigned_to.active": "true", "caller_id.user_name": "jane.smith",
			"assignment_group.manager": map[string]any{"link": link, "value": nina},
		}},
		{"&sysparm_exclude_reference_link=true", map[string]any{
			"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "nina.lead@company.com",
			"assigned_to.department": "Networks", "assigned_to.active": "true", "caller_id.user_name": "jane.smith",
			"assignment_group.manager": nina,
		}},
		{"&sysparm_display_value=true", map[string]any{
			"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "nina.lead@company.com",
			"assigned_to.department": "Networks", "assigned_to.active": "true", "caller_id.user_name": "jane.smith",
			"assignment_group.manager": map[string]any{"display_value": "Nina Lead", "link": link},
		}},
		{"&sysparm_display_value=true&sysparm_exclude_reference_link=true", map[string]any{
			"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "nina.lead@company.com",
			"assigned_to.department": "Networks", "assigned_to.active": "true", "caller_id.user_name": "jane.smith",
			"assignment_group.manager": "Nina Lead",
		}},
		{"&sysparm_display_value=all", map[string]any{
			"number": both("INC0020001"), "assigned_to.name": both("Nina Lead"), "assigned_to.email": both("nina.lead@company.com"),
			"assigned_to.department": both("Networks"), "assigned_to.active": both("true"), "caller_id.user_name": both("jane.smith"),
			"assignment_group.manager": map[string]any{"display_value": "Nina Lead", "value": nina, "link": link},
		}},
		{"&sysparm_display_value=all&sysparm_exclude_reference_link=true", map[string]any{
			"number": both("INC0020001"), "assigned_to.name": both("Nina Lead"), "assigned_to.email": both("nina.lead@company.com"),
			"assigned_to.department": both("Networks"), "assigned_to.active": both("true"), "caller_id.user_name": both("jane.smith"),
			"assignment_group.manager": map[string]any{"display_value": "Nina Lead", "value": nina},
		}},
	}
	auth := e.bearer("jane.smith@company.com")
	for _, c := range cases {
		t.Run(c.params, func(t *testing.T) {
			// The record endpoint and the list endpoint render alike.
			r := e.get(incidentPath("INC0020001")+"?"+fields+c.params, auth)
			if r.status != http.StatusOK {
				t.Fatalf("GET record: status %d: %s", r.status, r.raw)
			}
			if d := cmp.Diff(c.want, r.body["result"]); d != "" {
				t.Errorf("record (-want +got):\n%s", d)
			}
			recs, _ := e.list(walkIncidents+"&"+fields+c.params, auth)
			if len(recs) != 2 {
				t.Fatalf("list: %d rows, want 2", len(recs))
			}
			if d := cmp.Diff(c.want, recs[0]); d != "" {
				t.Errorf("list row (-want +got):\n%s", d)
			}
		})
	}
}

func TestDotWalkFollowsSeveralLevels(t *testing.T) {
	e := newWalkEnv(t, nil, false)
	recs, _ := e.list(walkIncidents+"&sysparm_display_value=true&sysparm_exclude_reference_link=true&"+fieldsParam(
		"number", "assignment_group.name", "assignment_group.manager", "assignment_group.manager.email", "assignment_group.manager.department"),
		e.bearer("jane.smith@company.com"))
	want := []map[string]any{
		{"number": "INC0020001", "assignment_group.name": "Network Ops", "assignment_group.manager": "Nina Lead",
			"assignment_group.manager.email": "nina.lead@company.com", "assignment_group.manager.department": "Networks"},
		{"number": "INC0020002", "assignment_group.name": "Service Desk", "assignment_group.manager": "Omar Ops",
			"assignment_group.manager.email": "omar.ops@company.com", "assignment_group.manager.department": "Operations"},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Errorf("rows (-want +got):\n%s", d)
	}
}

func TestDotWalkThroughEmptyReferenceRendersEmpty(t *testing.T) {
	e := newWalkEnv(t, nil, false)
	auth := e.bearer("jane.smith@company.com")
	fields := fieldsParam("number", "assignment_group.name", "assignment_group.manager", "assignment_group.manager.name")
	for _, c := range []struct {
		params string
		empty  any
	}{
		{"", ""},
		{"&sysparm_display_value=true", ""},
		{"&sysparm_display_value=all", map[string]any{"display_value": "", "value": ""}},
	} {
		// INC0012345 has no assignment group.
		r := e.get(incidentPath("INC0012345")+"?"+fields+c.params, auth)
		want := map[string]any{"assignment_group.name": c.empty, "assignment_group.manager": c.empty, "assignment_group.manager.name": c.empty}
		got := r.body["result"].(map[string]any)
		delete(got, "number")
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: walked fields through an empty reference (-want +got):\n%s", c.params, d)
		}
	}
}

func TestDotWalkIgnoresUnknownSegments(t *testing.T) {
	e := newWalkEnv(t, nil, false)
	fields := fieldsParam("number", "assigned_to.bogus", "bogus.name", "number.name", "short_description.x",
		"assigned_to.user_password", "assigned_to.name.first", "assigned_to.", ".name", "assigned_to..name",
		"assignment_group.manager.name.x.y", "assigned_to.name", "assigned_to.name")
	auth := e.bearer("jane.smith@company.com")
	r := e.get(incidentPath("INC0020001")+"?"+fields, auth)
	if d := cmp.Diff(map[string]any{"number": "INC0020001", "assigned_to.name": "Nina Lead"}, r.body["result"]); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	recs, _ := e.list(walkIncidents+"&"+fields, auth)
	for _, rec := range recs {
		if keys := keysOf(rec); !slices.Equal(keys, []string{"assigned_to.name", "number"}) {
			t.Errorf("list row keys %q, want [assigned_to.name number]", keys)
		}
	}
}

func TestDotWalkAppliesFieldReadACLsOfEveryWalkedTable(t *testing.T) {
	acls := append(DefaultACLs(),
		ACLRule{Table: "sys_user", Field: "email", Operation: OpRead, Roles: []string{"user_admin"}},
		ACLRule{Table: "sys_user", Field: "title", Operation: OpRead, Condition: "user_name!=nina.lead"},
		ACLRule{Table: "incident", Field: "assignment_group", Operation: OpRead, Roles: []string{"user_admin"}},
	)
	e := newWalkEnv(t, acls, false)
	fields := fieldsParam("number", "assigned_to.name", "assigned_to.email", "assigned_to.title", "assignment_group.name", "assignment_group.manager.name")
	recs, _ := e.list(walkIncidents+"&"+fields, e.bearer("jane.smith@company.com"))
	want := []map[string]any{
		// email: no rule admits jane; title: hidden on Nina's record only;
		// assignment_group: hidden on incident, so nothing walks through it.
		{"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "", "assigned_to.title": "",
			"assignment_group.name": "", "assignment_group.manager.name": ""},
		{"number": "INC0020002", "assigned_to.name": "Omar Ops", "assigned_to.email": "", "assigned_to.title": "Engineer",
			"assignment_group.name": "", "assignment_group.manager.name": ""},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Errorf("jane's rows (-want +got):\n%s", d)
	}
	// The same fields read directly from Nina's record are as hidden.
	direct := e.get("/api/now/table/sys_user/"+seedID("sys_user", "nina.lead")+"?sysparm_fields=name,email,title", e.bearer("jane.smith@company.com"))
	if d := cmp.Diff(map[string]any{"name": "Nina Lead", "email": "", "title": ""}, direct.body["result"]); d != "" {
		t.Errorf("direct read of nina (-want +got):\n%s", d)
	}
	// Admin passes every rule.
	recs, _ = e.list(walkIncidents+"&"+fields, e.admin())
	want = []map[string]any{
		{"number": "INC0020001", "assigned_to.name": "Nina Lead", "assigned_to.email": "nina.lead@company.com", "assigned_to.title": "Team lead",
			"assignment_group.name": "Network Ops", "assignment_group.manager.name": "Nina Lead"},
		{"number": "INC0020002", "assigned_to.name": "Omar Ops", "assigned_to.email": "omar.ops@company.com", "assigned_to.title": "Engineer",
			"assignment_group.name": "Service Desk", "assignment_group.manager.name": "Omar Ops"},
	}
	if d := cmp.Diff(want, recs); d != "" {
		t.Errorf("admin's rows (-want +got):\n%s", d)
	}
}

func TestDotWalkIntoHiddenRecordRendersEmptyForEveryWalkedField(t *testing.T) {
	// Only active users are readable; Nina is inactive.
	var acls []ACLRule
	for _, r := range DefaultACLs() {
		if r.Table == "sys_user" && r.Field == "" && r.Operation == OpRead {
			r.Condition = "active=true"
		}
		acls = append(acls, r)
	}
	e := newWalkEnv(t, acls, true)
	auth := e.bearer("jane.smith@company.com")
	if r := e.get("/api/now/table/sys_user/"+seedID("sys_user", "nina.lead"), auth); r.status != http.StatusNotFound {
		t.Fatalf("direct read of nina: status %d, want 404", r.status)
	}
	walked := []string{"assigned_to.name", "assigned_to.email", "assigned_to.department", "assigned_to.title",
		"assigned_to.user_name", "assigned_to.sys_id", "assigned_to.active", "assignment_group.manager.name",
		"assignment_group.manager.email", "assignment_group.manager.sys_created_on"}
	fields := fieldsParam(append([]string{"number", "assignment_group.name"}, walked...)...)
	for _, c := range []struct {
		params string
		empty  any
		group  any
	}{
		{"", "", "Network Ops"},
		{"&sysparm_display_value=true", "", "Network Ops"},
		{"&sysparm_display_value=all", map[string]any{"display_value": "", "value": ""}, map[string]any{"display_value": "Network Ops", "value": "Network Ops"}},
	} {
		r := e.get(incidentPath("INC0020001")+"?"+fields+c.params, auth)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", c.params, r.status, r.raw)
		}
		got := r.body["result"].(map[string]any)
		delete(got, "number")
		want := map[string]any{"assignment_group.name": c.group}
		for _, w := range walked {
			want[w] = c.empty
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: walked fields of a hidden record (-want +got):\n%s", c.params, d)
		}
		for _, secret := range []string{"Nina", "nina", "Networks", "Team lead", seedID("sys_user", "nina.lead")} {
			if strings.Contains(string(r.raw), secret) {
				t.Errorf("%s: response leaks %q: %s", c.params, secret, r.raw)
			}
		}
	}
	// Admin sees Nina through the same walk.
	r := e.get(incidentPath("INC0020001")+"?"+fieldsParam("assigned_to.email", "assignment_group.manager.name"), e.admin())
	if d := cmp.Diff(map[string]any{"assigned_to.email": "nina.lead@company.com", "assignment_group.manager.name": "Nina Lead"}, r.body["result"]); d != "" {
		t.Errorf("admin (-want +got):\n%s", d)
	}
}

func TestDotWalkOnAPageLargerThanOneLookupBatch(t *testing.T) {
	e := newTestEnv(t)
	const users = walkChunk + 200
	g, err := e.srv.GenerateIncidents(context.Background(), 3*users, users)
	if err != nil {
		t.Fatal(err)
	}
	nameOf := map[string]string{}
	for _, u := range g.Users {
		nameOf[seedID("sys_user", u)] = u
	}
	recs, _ := e.list("/api/now/table/incident?sysparm_exclude_reference_link=true&sysparm_limit=10000&sysparm_query="+
		url.QueryEscape("descriptionLIKE(generated)")+"&"+fieldsParam("assigned_to", "assigned_to.email", "caller_id.user_name", "opened_by", "caller_id"), e.admin())
	if len(recs) != 3*users {
		t.Fatalf("%d rows, want %d", len(recs), 3*users)
	}
	// Assignees and callers are both sys_user: one lookup, batched.
	people := map[string]bool{}
	for i, r := range recs {
		a, c := r["assigned_to"].(string), r["caller_id"].(string)
		people[a], people[c] = true, true
		if want := nameOf[a] + "@" + generatedEmailDomain; nameOf[a] == "" || r["assigned_to.email"] != want {
			t.Fatalf("row %d: assigned_to.email %v, want %q", i, r["assigned_to.email"], want)
		}
		if nameOf[c] == "" || r["caller_id.user_name"] != nameOf[c] {
			t.Fatalf("row %d: caller_id.user_name %v, want %q", i, r["caller_id.user_name"], nameOf[c])
		}
	}
	if len(people) <= walkChunk {
		t.Errorf("only %d distinct users; the test needs more than one batch of %d", len(people), walkChunk)
	}
}
