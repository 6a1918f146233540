package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/store"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startTestDev runs `onbehalf dev` on free loopback ports in a temp dir,
// with its logs captured.
func startTestDev(t *testing.T) (*devStack, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	d, err := startDev(context.Background(), devOptions{
		DataDir:     t.TempDir(),
		RuntimeAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0", EntraAddr: "127.0.0.1:0", ServiceNowAddr: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("startDev: %v", err)
	}
	t.Cleanup(d.Close)
	return d, logs
}

// run executes the onbehalf CLI in-process, as a user would type it.
func run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := newRootCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err = cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func tokenFor(t *testing.T, d *devStack, user string) string {
	t.Helper()
	out, _, err := run(t, "token", "--data-dir", d.Env[envDataDir], "--user", user)
	if err != nil {
		t.Fatalf("onbehalf token --user %s: %v", user, err)
	}
	return strings.TrimSpace(out)
}

// janesFive is the article's table: Jane's incidents as the answer lists
// them ("number|description|priority|state").
var janesFive = []string{
	"INC0012345|VPN connection dropping|P2|In Progress",
	"INC0012389|Outlook calendar sync failure|P3|New",
	"INC0012401|Laptop BSOD after Windows update|P2|In Progress",
	"INC0012455|Shared drive permission error|P3|New",
	"INC0012478|Zoom plugin not loading in Teams|P4|Assigned",
}

var incidentRow = regexp.MustCompile(`(?m)^\| (INC\d{7}) \| (.+?) \| (P\d) \| (.+?) \|$`)

// rows returns the incident table of an answer as "number|description|P|state".
func rows(answer string) []string {
	var out []string
	for _, m := range incidentRow.FindAllStringSubmatch(answer, -1) {
		out = append(out, strings.Join(m[1:], "|"))
	}
	return out
}

func TestEndToEndJaneSeesExactlyHerFiveIncidents(t *testing.T) {
	d, logs := startTestDev(t)
	jane := tokenFor(t, d, "jane.smith@company.com")

	out, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", jane, "Show me 5 incidents assigned to me")
	if err != nil {
		t.Fatalf("invoke: %v\nstderr: %s", err, errOut)
	}
	want := janesFive
	if got := rows(out); !slices.Equal(got, want) {
		t.Errorf("Jane's answer rows:\n got %q\nwant %q\nanswer:\n%s", got, want, out)
	}
	for _, hidden := range []string{"INC0012350", "INC0012399"} {
		if strings.Contains(out, hidden) {
			t.Errorf("answer shows %s, which ServiceNow's ACLs hide from Jane:\n%s", hidden, out)
		}
	}
	if !strings.Contains(errOut, "model: offline planner") || !strings.Contains(out, "offline planner") {
		t.Errorf("the answer does not say which model produced it:\nstdout: %s\nstderr: %s", out, errOut)
	}

	// The data is there: the admin account sees all 7 of Jane's incidents.
	janeID := adminList(t, d, "sys_user", "user_name=jane.smith", "sys_id")[0]["sys_id"]
	var all []string
	for _, r := range adminList(t, d, "incident", "assigned_to="+janeID+"^ORDERBYnumber", "number") {
		all = append(all, r["number"])
	}
	wantAll := []string{"INC0012345", "INC0012350", "INC0012389", "INC0012399", "INC0012401", "INC0012455", "INC0012478"}
	if !slices.Equal(all, wantAll) {
		t.Errorf("admin sees Jane's incidents %v, want %v", all, wantAll)
	}

	// ServiceNow recorded that jane.smith made the query, not a bot.
	tx := adminList(t, d, "syslog_transaction", "sys_created_by=jane.smith", "url,sys_created_by")
	if len(tx) == 0 || !strings.Contains(tx[0]["url"], "/api/now/table/incident") {
		t.Errorf("ServiceNow's transaction log for jane.smith = %v, want her incident query", tx)
	}

	// onbehalf's own audit trail has the workload token and the exchange,
	// tied to the session, with nothing secret in it.
	events, err := d.stack.Store.ListAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range events {
		actions = append(actions, ev.Action+":"+ev.Outcome)
		if ev.SessionID == "" || ev.Workload != "servicenow-agent-workload" || ev.User == "" {
			t.Errorf("audit event lacks session, workload or user: %+v", ev)
		}
		if ev.Action == "GetResourceOauth2Token" && (ev.Provider != "EntraIdServiceNow" || ev.Flow != "ON_BEHALF_OF_TOKEN_EXCHANGE") {
			t.Errorf("exchange audit event = %+v", ev)
		}
		assertNoSecretsIn(t, fmt.Sprintf("%+v", ev), d, jane)
	}
	slices.Sort(actions)
	// The agent checks it can get Token B before it starts (the article's
	// fetch_snow_token), then the tool asks again: one IdP call, one vault hit.
	wantActions := []string{"GetResourceOauth2Token:ok", "GetResourceOauth2Token:ok", "GetWorkloadAccessTokenForJWT:ok", "servicenow.query_incidents:ok"}
	if !slices.Equal(actions, wantActions) {
		t.Errorf("audit actions = %v, want %v", actions, want)
	}

	assertNoSecretsIn(t, logs.String(), d, jane)
}

func TestEndToEndBobSeesOnlyHisOwnThree(t *testing.T) {
	d, logs := startTestDev(t)
	bob := tokenFor(t, d, "bob.jones@company.com")
	out, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", bob, "Show me my incidents")
	if err != nil {
		t.Fatalf("invoke: %v\nstderr: %s", err, errOut)
	}
	want := []string{
		"INC0012360|Printer jam on 3rd floor|P4|New",
		"INC0012420|Password reset request|P3|In Progress",
		"INC0012490|Docking station not detecting monitors|P3|New",
	}
	if got := rows(out); !slices.Equal(got, want) {
		t.Errorf("Bob's answer rows:\n got %q\nwant %q\nanswer:\n%s", got, want, out)
	}
	assertNoSecretsIn(t, logs.String(), d, bob)
}

func TestEndToEndInvocationsWithoutAValidTokenAre401BeforeAnyAgentCode(t *testing.T) {
	d, _ := startTestDev(t)
	jane := tokenFor(t, d, "jane.smith@company.com")
	parts := strings.Split(jane, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]

	for name, auth := range map[string]string{
		"no token":     "",
		"garbage":      "Bearer not-a-jwt",
		"tampered":     "Bearer " + tampered,
		"wrong scheme": "Basic " + jane,
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, d.Env[envRuntimeURL]+"/invocations", strings.NewReader(`{"prompt":"Show me 5 incidents assigned to me"}`))
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401; body %s", resp.StatusCode, body)
			}
			if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") {
				t.Errorf("WWW-Authenticate = %q, want a Bearer challenge", ch)
			}
			if strings.Contains(string(body), "eyJ") {
				t.Errorf("401 body echoes a token: %s", body)
			}
		})
	}
	// No agent code ran: ServiceNow saw no request beyond the admin's own.
	after := adminList(t, d, "syslog_transaction", "sys_created_by!=admin", "sys_id")
	if len(after) != 0 {
		t.Errorf("ServiceNow saw %d non-admin requests after refused invocations, want 0", len(after))
	}

	// And the CLI reports the refusal and exits non-zero.
	_, _, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", "nope", "hi")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("invoke with a bad token: err = %v, want a 401 error", err)
	}
}

// adminList queries the ServiceNow emulator with its admin account (Basic).
func adminList(t *testing.T, d *devStack, table, query, fields string) []map[string]string {
	t.Helper()
	q := url.Values{"sysparm_query": {query}, "sysparm_fields": {fields}, "sysparm_exclude_reference_link": {"true"}}
	req, _ := http.NewRequest(http.MethodGet, d.Env[envServiceNowURL]+"/api/now/table/"+table+"?"+q.Encode(), nil)
	req.SetBasicAuth(d.Env[envSNAdminUser], d.Env[envSNAdminPassword])
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Result []map[string]string `json:"result"`
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("admin GET %s: %s %s", table, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("admin GET %s: %v", table, err)
	}
	return body.Result
}

var jwtRe = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}`)

// assertNoSecretsIn fails if logs hold a JWT, a dev secret or a token.
func assertNoSecretsIn(t *testing.T, logs string, d *devStack, tokens ...string) {
	t.Helper()
	if logs == "" {
		t.Fatal("no logs were captured; the check would prove nothing")
	}
	if m := jwtRe.FindString(logs); m != "" {
		t.Errorf("logs contain a JWT (%.20s…)", m)
	}
	for _, k := range secretNames {
		if v := d.Env[k]; v == "" || strings.Contains(logs, v) {
			t.Errorf("logs contain %s (or it is empty)", k)
		}
	}
	for _, tok := range tokens {
		if strings.Contains(logs, tok[len(tok)-20:]) {
			t.Error("logs contain the tail of a user token")
		}
	}
}

func TestEndToEndJaneReadsAndUpdatesOnlyWhatSheMay(t *testing.T) {
	d, logs := startTestDev(t)
	jane := tokenFor(t, d, "jane.smith@company.com")
	session := "session-" + strings.Repeat("e2e", 11)
	ask := func(prompt string) string {
		t.Helper()
		out, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", jane, "--session-id", session, prompt)
		if err != nil {
			t.Fatalf("invoke %q: %v\nstderr: %s", prompt, err, errOut)
		}
		return out
	}
	if out := ask("Show me INC0012345"); !strings.Contains(out, "**INC0012345** — VPN connection dropping") || !strings.Contains(out, "| Priority | P2 |") {
		t.Errorf("show INC0012345:\n%s", out)
	}
	if out := ask("Show me INC0012350"); !strings.Contains(out, "No such incident, or you don't have access to it.") || strings.Contains(out, "Employee complaint") {
		t.Errorf("show the hidden HR incident:\n%s", out)
	}
	// A write waits for Jane's own confirmation.
	if out := ask("Set INC0012345 to priority 3"); !strings.Contains(out, "I need your confirmation") {
		t.Errorf("set priority, first ask:\n%s", out)
	}
	if got := adminList(t, d, "sys_audit", "fieldname=priority", "user"); len(got) != 0 {
		t.Fatalf("ServiceNow changed before Jane confirmed: %v", got)
	}
	if out := ask("yes"); !strings.Contains(out, "Updated INC0012345 (priority)") {
		t.Errorf("set priority, after yes:\n%s", out)
	}
	// ServiceNow's own audit names jane.smith as the one who changed it.
	audit := adminList(t, d, "sys_audit", "fieldname=priority", "documentkey,oldvalue,newvalue,user")
	if len(audit) != 1 || audit[0]["user"] != "jane.smith" || audit[0]["oldvalue"] != "2" || audit[0]["newvalue"] != "3" {
		t.Errorf("sys_audit for the priority change = %v, want one row by jane.smith 2→3", audit)
	}
	ask("Set INC0012399 to resolved")
	if out := ask("yes"); !strings.Contains(out, "No such incident, or you don't have access to it.") {
		t.Errorf("resolve the hidden SOC alert:\n%s", out)
	}
	assertNoSecretsIn(t, logs.String(), d, jane)
}

func TestDevServesTheChatUIConfiguredForTheEntraEmulator(t *testing.T) {
	d, _ := startTestDev(t)
	resp, err := http.Get(d.Env[envRuntimeURL] + "/config.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg struct {
		Authority string   `json:"authority"`
		ClientID  string   `json:"clientId"`
		Scopes    []string `json:"scopes"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatalf("config.json: %v", err)
	}
	wantAuthority := d.Env[envEntraURL] + "/" + devTenantID + "/v2.0"
	if resp.StatusCode != 200 || cfg.Authority != wantAuthority || cfg.ClientID != devAgentApp || !slices.Contains(cfg.Scopes, "api://"+devAgentApp+"/access_as_user") {
		t.Errorf("config.json = %d %+v, want authority %s and the agent app", resp.StatusCode, cfg, wantAuthority)
	}
	page, err := http.Get(d.Env[envRuntimeURL] + "/")
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 || !strings.Contains(page.Header.Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("GET / = %d, CSP %q", page.StatusCode, page.Header.Get("Content-Security-Policy"))
	}
}

func TestEndToEndOfflinePlannerDrivesEveryIncidentTool(t *testing.T) {
	d, logs := startTestDev(t)
	jane := tokenFor(t, d, "jane.smith@company.com")
	session := "session-" + strings.Repeat("all", 11)
	ask := func(prompt string) string {
		t.Helper()
		out, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", jane, "--session-id", session, prompt)
		if err != nil {
			t.Fatalf("invoke %q: %v\nstderr: %s", prompt, err, errOut)
		}
		return out
	}
	if out := ask("How many incidents are assigned to me?"); !strings.HasPrefix(out, "5 incidents match") {
		t.Errorf("count: %s", out)
	}
	if out := ask("show me my open P2s"); !slices.Equal(rows(out), []string{
		"INC0012345|VPN connection dropping|P2|In Progress", "INC0012401|Laptop BSOD after Windows update|P2|In Progress",
	}) {
		t.Errorf("my open P2s: %s", out)
	}
	ask("Add a comment to INC0012345: tried a new VPN profile")
	if out := ask("yes"); !strings.Contains(out, "Added a comment to INC0012345.") {
		t.Errorf("comment: %s", out)
	}
	journal := adminList(t, d, "sys_journal_field", "element=comments", "value,sys_created_by")
	if len(journal) != 1 || journal[0]["value"] != "tried a new VPN profile" || journal[0]["sys_created_by"] != "jane.smith" {
		t.Errorf("sys_journal_field = %v, want Jane's comment", journal)
	}
	ask("Resolve INC0012345 with notes: replaced the VPN profile")
	if out := ask("yes"); !strings.Contains(out, "Updated INC0012345") || !strings.Contains(out, "Resolved") {
		t.Errorf("resolve: %s", out)
	}
	ask("Open an incident: printer on the 3rd floor is jammed")
	out := ask("yes")
	if m := regexp.MustCompile(`Opened (INC\d{7}): printer on the 3rd floor is jammed`).FindStringSubmatch(out); m == nil {
		t.Errorf("create: %s", out)
	} else if got := adminList(t, d, "incident", "number="+m[1], "caller_id.user_name,sys_created_by"); len(got) != 1 || got[0]["sys_created_by"] != "jane.smith" {
		t.Errorf("the new incident %s = %v, want it created by jane.smith", m[1], got)
	}
	assertNoSecretsIn(t, logs.String(), d, jane)
}
