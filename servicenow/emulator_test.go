package servicenow

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/onbehalf/onbehalf/emulator/entra"
	snemu "github.com/onbehalf/onbehalf/emulator/servicenow"
)

// These tests run the client and the tools over real HTTP against the
// ServiceNow emulator seeded with the dev data (notes/dev-data.md).

const (
	emuAdminPassword = "test-admin-pw-7f3a"
	emuUserPassword  = "test-user-pw-91c2"
	emuAgentSecret   = "test-agent-secret-55d0"
)

// lateHandler lets a server learn its own URL before its handler exists.
type lateHandler struct{ h http.Handler }

func (l *lateHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.h.ServeHTTP(w, r) }

// startInstance starts the emulated instance, trusting tokens from the
// Entra emulator at entraURL for the ServiceNow API Connector when set.
func startInstance(t *testing.T, entraURL string) *httptest.Server {
	t.Helper()
	return startInstanceWith(t, entraURL, nil)
}

// startInstanceWith is startInstance with cfg adjusted by adjust.
func startInstanceWith(t *testing.T, entraURL string, adjust func(*snemu.Config)) *httptest.Server {
	t.Helper()
	lh := &lateHandler{}
	hs := httptest.NewServer(lh)
	t.Cleanup(hs.Close)
	cfg := snemu.Config{BaseURL: hs.URL, AdminPassword: emuAdminPassword, SeedDev: true, Logger: slog.New(slog.DiscardHandler)}
	if entraURL != "" {
		cfg.OIDC = []snemu.OIDCProvider{{
			Name:        "EntraID",
			MetadataURL: entraURL + "/" + entra.DevTenantID + "/v2.0/.well-known/openid-configuration",
			ClientID:    entra.DevConnectorClientID,
		}}
	}
	if adjust != nil {
		adjust(&cfg)
	}
	srv, err := snemu.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	lh.h = srv
	return hs
}

func adminClient(hs *httptest.Server) *Client {
	return &Client{BaseURL: hs.URL, HTTPClient: hs.Client(), Auth: BasicAuth("admin", emuAdminPassword)}
}

func TestEmulatorQueryIncidentsAsAdmin(t *testing.T) {
	hs := startInstance(t, "")
	c := adminClient(hs)

	res := run(t, c, "query_incidents", `{"limit":100}`)
	var all struct {
		Incidents []incidentRow `json:"incidents"`
		Returned  int           `json:"returned"`
		Total     int           `json:"total"`
	}
	if err := json.Unmarshal([]byte(res.Content), &all); err != nil || res.IsError {
		t.Fatalf("query_incidents: %s (error=%v): %v", res.Content, res.IsError, err)
	}
	var numbers []string
	for _, in := range all.Incidents {
		numbers = append(numbers, in.Number)
	}
	want := []string{"INC0012345", "INC0012350", "INC0012360", "INC0012389", "INC0012399", "INC0012401", "INC0012420", "INC0012455", "INC0012478", "INC0012490"}
	if d := cmp.Diff(want, numbers); d != "" || all.Returned != 10 || all.Total != 10 {
		t.Errorf("admin sees returned=%d total=%d numbers (-want +got):\n%s", all.Returned, all.Total, d)
	}

	res = run(t, c, "query_incidents", `{"text":"VPN","state":"In Progress","priority":2,"category":"Network","active":true}`)
	var vpn struct {
		Incidents []incidentRow `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(res.Content), &vpn); err != nil || res.IsError || len(vpn.Incidents) != 1 {
		t.Fatalf("VPN query: %s (error=%v)", res.Content, res.IsError)
	}
	got := vpn.Incidents[0]
	got.SysID, got.OpenedAt = "", ""
	wantRow := incidentRow{Number: "INC0012345", ShortDescription: "VPN connection dropping", Priority: "2 - High",
		State: "In Progress", Category: "Network", AssignedTo: "Jane Smith", Caller: "Jane Smith"}
	if d := cmp.Diff(wantRow, got); d != "" {
		t.Errorf("VPN incident (-want +got):\n%s", d)
	}
	if !sysIDRe.MatchString(vpn.Incidents[0].SysID) || vpn.Incidents[0].OpenedAt == "" {
		t.Errorf("sys_id %q / opened_at %q not filled", vpn.Incidents[0].SysID, vpn.Incidents[0].OpenedAt)
	}

	res = run(t, c, "query_incidents", `{"text":"vpn^ORcategory=hr"}`)
	if !res.IsError || !strings.HasPrefix(res.Content, "Invalid text:") {
		t.Errorf("injection: %q (error=%v), want refused", res.Content, res.IsError)
	}
}

func TestEmulatorListPagesAndTotal(t *testing.T) {
	hs := startInstance(t, "")
	c := adminClient(hs)
	c.MaxPages = 2
	recs, total, err := c.List(context.Background(), "incident", ListOptions{
		Query: NewQuery().Eq("category", "hardware").OrderByDesc("number"), Fields: []string{"number"}, Limit: 2,
	})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	var numbers []string
	for _, r := range recs {
		numbers = append(numbers, r.Value("number"))
	}
	if d := cmp.Diff([]string{"INC0012490", "INC0012401"}, numbers); d != "" || total != 3 {
		t.Errorf("total = %d, numbers (-want +got):\n%s", total, d)
	}
}

func TestEmulatorGetAndUpdateIncidentAsAdmin(t *testing.T) {
	hs := startInstance(t, "")
	c := adminClient(hs)

	res := run(t, c, "get_incident", `{"number":"INC0012360"}`)
	var got struct {
		Incident incidentDetail `json:"incident"`
	}
	if err := json.Unmarshal([]byte(res.Content), &got); err != nil || res.IsError {
		t.Fatalf("get_incident: %s (error=%v)", res.Content, res.IsError)
	}
	if got.Incident.ShortDescription != "Printer jam on 3rd floor" || got.Incident.AssignedTo != "Bob Jones" || got.Incident.Priority != "4 - Low" {
		t.Errorf("incident = %+v", got.Incident)
	}

	res = run(t, c, "update_incident", `{"number":"INC0012360","state":"Resolved","close_code":"Solved (Permanently)","close_notes":"Cleared the jam."}`)
	var upd struct {
		Incident   incidentDetail `json:"incident"`
		Updated    []string       `json:"updated"`
		NotApplied []string       `json:"not_applied"`
	}
	if err := json.Unmarshal([]byte(res.Content), &upd); err != nil || res.IsError {
		t.Fatalf("update_incident: %s (error=%v)", res.Content, res.IsError)
	}
	if upd.Incident.State != "Resolved" || upd.Incident.CloseNotes != "Cleared the jam." ||
		!cmp.Equal(upd.Updated, []string{"state", "close_code", "close_notes"}) || len(upd.NotApplied) != 0 {
		t.Errorf("update result = %s", res.Content)
	}

	// The change is audited under the account that made it.
	audit, _, err := c.List(context.Background(), "sys_audit", ListOptions{
		Query: NewQuery().Eq("tablename", "incident").Eq("documentkey", got.Incident.SysID).Eq("fieldname", "state"),
	})
	if err != nil || len(audit) != 1 || audit[0].Value("user") != "admin" || audit[0].Value("newvalue") != "6" {
		t.Errorf("sys_audit = %v, %v; want one state change to 6 by admin", audit, err)
	}

	res = run(t, c, "get_incident", `{"number":"INC9999999"}`)
	if !res.IsError || res.Content != MsgNotFound {
		t.Errorf("missing incident: %q, want %q", res.Content, MsgNotFound)
	}
}

func TestEmulatorWrongPasswordIsUnauthorized(t *testing.T) {
	hs := startInstance(t, "")
	c := &Client{BaseURL: hs.URL, HTTPClient: hs.Client(), Auth: BasicAuth("admin", "wrong")}
	res := run(t, c, "query_incidents", `{}`)
	if !res.IsError || res.Content != MsgUnauthorized {
		t.Errorf("wrong password: %q, want %q", res.Content, MsgUnauthorized)
	}
}

// entraTokenB signs user in at the Entra emulator as the agent app (Token A)
// and exchanges that On-Behalf-Of for a ServiceNow API Connector token.
func entraTokenB(t *testing.T, entraURL, user string) string {
	t.Helper()
	tokenURL := entraURL + "/" + entra.DevTenantID + "/oauth2/v2.0/token"
	post := func(form url.Values) string {
		resp, err := http.PostForm(tokenURL, form)
		if err != nil {
			t.Fatalf("token request: %v", err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
			t.Fatalf("token request: status %d error %q (%v)", resp.StatusCode, body.Error, err)
		}
		return body.AccessToken
	}
	tokenA := post(url.Values{
		"grant_type": {"password"}, "client_id": {entra.DevAgentClientID}, "client_secret": {emuAgentSecret},
		"scope": {"api://" + entra.DevAgentClientID + "/access_as_user"}, "username": {user}, "password": {emuUserPassword},
	})
	return post(url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "client_id": {entra.DevAgentClientID},
		"client_secret": {emuAgentSecret}, "assertion": {tokenA}, "requested_token_use": {"on_behalf_of"},
		"scope": {"api://" + entra.DevConnectorClientID + "/user_impersonation"},
	})
}

func startEntra(t *testing.T) string {
	t.Helper()
	lh := &lateHandler{}
	hs := httptest.NewServer(lh)
	t.Cleanup(hs.Close)
	srv, err := entra.New(entra.DevConfig(hs.URL, emuAgentSecret, emuUserPassword))
	if err != nil {
		t.Fatalf("entra emulator: %v", err)
	}
	lh.h = srv
	return hs.URL
}

// The article's scenario: Jane asks for 5 incidents assigned to her and gets
// exactly her 5; the HR complaint and the SOC alert never leave ServiceNow.
func TestEmulatorJaneSeesOnlyHerIncidents(t *testing.T) {
	entraURL := startEntra(t)
	hs := startInstance(t, entraURL)
	c := &Client{BaseURL: hs.URL, HTTPClient: hs.Client(), Tokens: StaticToken(entraTokenB(t, entraURL, "jane.smith@company.com"))}

	res := run(t, c, "query_incidents", `{"assigned_to_me":true,"limit":5}`)
	var got struct {
		Incidents []incidentRow `json:"incidents"`
		Returned  int           `json:"returned"`
		Total     int           `json:"total"`
	}
	if err := json.Unmarshal([]byte(res.Content), &got); err != nil || res.IsError {
		t.Fatalf("query_incidents: %s (error=%v)", res.Content, res.IsError)
	}
	type row struct{ Number, Short, Priority, State string }
	var rows []row
	for _, in := range got.Incidents {
		rows = append(rows, row{in.Number, in.ShortDescription, in.Priority, in.State})
		if in.AssignedTo != "Jane Smith" {
			t.Errorf("%s assigned to %q", in.Number, in.AssignedTo)
		}
	}
	want := []row{
		{"INC0012345", "VPN connection dropping", "2 - High", "In Progress"},
		{"INC0012389", "Outlook calendar sync failure", "3 - Moderate", "New"},
		{"INC0012401", "Laptop BSOD after Windows update", "2 - High", "In Progress"},
		{"INC0012455", "Shared drive permission error", "3 - Moderate", "New"},
		{"INC0012478", "Zoom plugin not loading in Teams", "4 - Low", "Assigned"},
	}
	if d := cmp.Diff(want, rows); d != "" || got.Returned != 5 || got.Total != 5 {
		t.Errorf("Jane's incidents: returned=%d total=%d (-want +got):\n%s", got.Returned, got.Total, d)
	}
	for _, hidden := range []string{"INC0012350", "INC0012399"} {
		if res := run(t, c, "get_incident", `{"number":"`+hidden+`"}`); !res.IsError || res.Content != MsgNotFound {
			t.Errorf("get_incident %s as Jane: %q, want %q", hidden, res.Content, MsgNotFound)
		}
	}
	// Injection through the text field cannot widen her view either.
	if res := run(t, c, "query_incidents", `{"text":"x^ORcategory=hr"}`); !res.IsError {
		t.Errorf("injection accepted: %s", res.Content)
	}
}
