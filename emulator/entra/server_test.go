package entra_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func TestTokenRequestsCountsByGrantType(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"))
	tn.post(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default"))
	for i := 0; i < 2; i++ {
		tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	}
	tn.post(t, oboForm(entra.DevAgentClientID, "wrong", tokenA, connectorScope)) // refused, still counted
	tn.post(t, set(passwordForm(entra.DevAgentClientID, agentSecret, ""), "grant_type", "implicit"))

	for grant, want := range map[string]int64{
		entra.GrantPassword:          2,
		entra.GrantClientCredentials: 1,
		entra.GrantJWTBearer:         3,
		"implicit":                   1,
		"refresh_token":              0,
	} {
		if got := tn.srv.TokenRequests(grant); got != want {
			t.Errorf("TokenRequests(%q) = %d, want %d", grant, got, want)
		}
	}
}

func set(f url.Values, k, v string) url.Values { f.Set(k, v); return f }

func TestLogsNeverContainSecretsPasswordsOrTokens(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
	tokenB := r.str("access_token")
	tn.post(t, set(passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"), "password", "wrong-password-x1"))
	tn.post(t, oboForm(entra.DevAgentClientID, "wrong-secret-y2", tokenA, connectorScope))
	tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, "garbage-assertion-z3", connectorScope))

	logs := tn.logs.String()
	if !strings.Contains(logs, "entra token issued") || !strings.Contains(logs, "entra token request refused") {
		t.Fatalf("expected issued and refused log lines, got:\n%s", logs)
	}
	secrets := map[string]string{
		"agent secret": agentSecret, "user password": userPassword, "wrong password": "wrong-password-x1",
		"wrong secret": "wrong-secret-y2", "garbage assertion": "garbage-assertion-z3",
	}
	for _, tok := range []string{tokenA, tokenB} {
		parts := strings.Split(tok, ".")
		secrets["token signature"] = parts[2]
		secrets["token payload"] = parts[1]
	}
	for what, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log contains the %s", what)
		}
	}

	// Each line is structured and says what happened, without secrets.
	var sawOBO bool
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v", err)
		}
		if rec["grant_type"] == entra.GrantJWTBearer && rec["msg"] == "entra token issued" {
			sawOBO = true
			if rec["user_oid"] != janeOID || rec["aud"] != entra.DevConnectorClientID || len(rec["assertion_sha256"].(string)) != 12 {
				t.Errorf("OBO log line = %v, want user_oid, aud and a 12-char assertion hash", rec)
			}
		}
	}
	if !sawOBO {
		t.Errorf("no log line for the issued OBO token")
	}
}

func TestNewReportsEveryConfigProblem(t *testing.T) {
	cfg := entra.DevConfig("ftp://example", "s", "")
	cfg.TenantID = "not-a-guid"
	cfg.Apps[0].Permissions["5e7c0000-0000-4000-8000-000000000003"] = []string{"nope"}
	cfg.Apps = append(cfg.Apps, entra.App{ClientID: entra.DevAgentClientID})
	_, err := entra.New(cfg)
	if err == nil {
		t.Fatal("New accepted an invalid config")
	}
	for _, want := range []string{"BaseURL", "TenantID", "exposes no scope \"nope\"", "Apps[2].ClientID", "Users[0].Password", "Users[3].Password"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	var joined interface{ Unwrap() []error }
	if !errors.As(err, &joined) || len(joined.Unwrap()) < 7 {
		t.Errorf("want every problem as a joined error, got %v", err)
	}
}

func TestDevConfigMatchesDevData(t *testing.T) {
	cfg := entra.DevConfig("http://127.0.0.1:8082", "agent-secret", "pw")
	if cfg.TenantID != "c0ffee00-0000-4000-8000-000000000001" || len(cfg.Apps) != 2 || len(cfg.Users) != 4 {
		t.Fatalf("DevConfig = tenant %s, %d apps, %d users", cfg.TenantID, len(cfg.Apps), len(cfg.Users))
	}
	agent, conn := cfg.Apps[0], cfg.Apps[1]
	if agent.ClientID != "a9e17000-0000-4000-8000-000000000002" || agent.ClientSecret != "agent-secret" ||
		agent.Scopes[0] != "access_as_user" || agent.Permissions[conn.ClientID][0] != "user_impersonation" {
		t.Errorf("agent app = %+v", agent)
	}
	if conn.ClientID != "5e7c0000-0000-4000-8000-000000000003" || conn.IdentifierURIs[0] != "api://"+conn.ClientID || conn.ClientSecret != "" {
		t.Errorf("connector app = %+v", conn)
	}
	want := map[string]string{
		"jane.smith@company.com":  "0a000000-0000-4000-8000-00000000000a",
		"bob.jones@company.com":   "0b000000-0000-4000-8000-00000000000b",
		"hr.partner@company.com":  "0c000000-0000-4000-8000-00000000000c",
		"soc.analyst@company.com": "0d000000-0000-4000-8000-00000000000d",
	}
	for _, u := range cfg.Users {
		if want[u.UserPrincipalName] != u.ObjectID || u.Password != "pw" {
			t.Errorf("user %s oid %s", u.UserPrincipalName, u.ObjectID)
		}
	}
	if _, err := entra.New(cfg); err != nil {
		t.Errorf("DevConfig is not valid: %v", err)
	}
}

func TestNewRejectsBadRedirectURIs(t *testing.T) {
	cfg := entra.DevConfig("http://127.0.0.1:8082", "s", "pw")
	cfg.Apps[0].RedirectURIs = []string{"/relative", "https://x.example/cb#frag", "https://x.example/*"}
	cfg.Apps[0].SPARedirectURIs = []string{"myapp://callback", "https://x.example/spa", "https://x.example/spa"}
	_, err := entra.New(cfg)
	if err == nil {
		t.Fatal("New accepted bad redirect URIs")
	}
	for _, want := range []string{"RedirectURIs[0]", "RedirectURIs[1]", "RedirectURIs[2]", "SPARedirectURIs[0]", `SPARedirectURIs[2] "https://x.example/spa" is registered twice`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestDevConfigRuntimeURLBecomesTheAgentsSPARedirectURI(t *testing.T) {
	cfg := entra.DevConfig("http://127.0.0.1:8082", "s", "pw", entra.DevOptions{RuntimeURL: "http://127.0.0.1:8080/"})
	if got := cfg.Apps[0].SPARedirectURIs; len(got) != 1 || got[0] != "http://127.0.0.1:8080/" {
		t.Errorf("agent SPA redirect URIs = %v", got)
	}
	if got := entra.DevConfig("http://127.0.0.1:8082", "s", "pw").Apps[0].SPARedirectURIs; len(got) != 0 {
		t.Errorf("without RuntimeURL: %v, want none", got)
	}
}
