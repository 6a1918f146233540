package entra_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

var (
	subRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	utiRE = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)
)

func TestPasswordGrantIssuesUserTokenForOwnAPI(t *testing.T) {
	tn := start(t)
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"))
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r)
	}
	if r.str("token_type") != "Bearer" || r.str("scope") != agentAPI+"/access_as_user" {
		t.Errorf("token_type/scope = %q/%q", r.str("token_type"), r.str("scope"))
	}
	if r.body["expires_in"] != float64(3600) || r.body["ext_expires_in"] != float64(3600) {
		t.Errorf("expires_in/ext_expires_in = %v/%v, want 3600 (default lifetime)", r.body["expires_in"], r.body["ext_expires_in"])
	}
	if _, ok := r.body["id_token"]; ok {
		t.Errorf("id_token returned without openid scope")
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}

	_, c := tn.verify(t, r.str("access_token"))
	now := tn.clock.Now().Unix()
	want := map[string]any{
		"aud":                entra.DevAgentClientID,
		"iss":                tn.srv.Issuer(),
		"tid":                entra.DevTenantID,
		"oid":                janeOID,
		"azp":                entra.DevAgentClientID,
		"azpacr":             "1",
		"scp":                "access_as_user",
		"preferred_username": janeUPN,
		"name":               "Jane Smith",
		"ver":                "2.0",
		"iat":                float64(now),
		"nbf":                float64(now),
		"exp":                float64(now + 3600),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if sub, _ := c["sub"].(string); !subRE.MatchString(sub) || sub == janeOID {
		t.Errorf("sub = %v, want a 43-char pairwise identifier", c["sub"])
	}
	if uti, _ := c["uti"].(string); !utiRE.MatchString(uti) {
		t.Errorf("uti = %v, want 22 base64url chars", c["uti"])
	}
	for _, absent := range []string{"idtyp", "roles"} {
		if _, ok := c[absent]; ok {
			t.Errorf("user token carries %s", absent)
		}
	}
}

func TestPasswordGrantSubIsPairwisePerResourceAndStable(t *testing.T) {
	tn := start(t)
	sub := func(scope string) string {
		_, c := tn.verify(t, tn.mustToken(t, passwordForm(entra.DevAgentClientID, agentSecret, scope)))
		return c["sub"].(string)
	}
	agent1, agent2 := sub(agentAPI+"/access_as_user"), sub(entra.DevAgentClientID+"/access_as_user")
	connector := sub(connectorAPI + "/user_impersonation")
	if agent1 != agent2 {
		t.Errorf("sub for the same user and resource differs: %s vs %s", agent1, agent2)
	}
	if agent1 == connector {
		t.Errorf("sub is the same for two resources; Entra's sub is pairwise")
	}
}

func TestPasswordGrantAcceptsBasicClientAuthAndPublicClients(t *testing.T) {
	tn := start(t)
	form := passwordForm(entra.DevAgentClientID, "", agentAPI+"/access_as_user")
	form.Del("client_id")
	r := tn.post(t, form, entra.DevAgentClientID, agentSecret)
	if r.status != http.StatusOK {
		t.Fatalf("Basic auth: %d %s", r.status, r)
	}
	_, c := tn.verify(t, r.str("access_token"))
	if c["azp"] != entra.DevAgentClientID || c["azpacr"] != "1" {
		t.Errorf("azp/azpacr = %v/%v, want agent/1", c["azp"], c["azpacr"])
	}

	r = tn.post(t, passwordForm(cliClientID, "", agentAPI+"/access_as_user openid profile"))
	if r.status != http.StatusOK {
		t.Fatalf("public client: %d %s", r.status, r)
	}
	_, c = tn.verify(t, r.str("access_token"))
	if c["aud"] != entra.DevAgentClientID || c["azp"] != cliClientID || c["azpacr"] != "0" {
		t.Errorf("aud/azp/azpacr = %v/%v/%v, want agent/cli/0", c["aud"], c["azp"], c["azpacr"])
	}
	if r.str("scope") != agentAPI+"/access_as_user" {
		t.Errorf("scope = %q, want only the API scope", r.str("scope"))
	}
	_, id := tn.verify(t, r.str("id_token"))
	if id["aud"] != cliClientID || id["oid"] != janeOID || id["preferred_username"] != janeUPN || id["scp"] != nil {
		t.Errorf("id_token claims = %v, want aud cli, Jane, no scp", id)
	}
}

func TestPasswordGrantDefaultScopeExpandsToConsentedScopes(t *testing.T) {
	tn := start(t)
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default"))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r)
	}
	if r.str("scope") != connectorAPI+"/user_impersonation" {
		t.Errorf("scope = %q, want the consented user_impersonation", r.str("scope"))
	}
	_, c := tn.verify(t, r.str("access_token"))
	if c["aud"] != entra.DevConnectorClientID || c["scp"] != "user_impersonation" {
		t.Errorf("aud/scp = %v/%v", c["aud"], c["scp"])
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	tn := start(t)
	ok := func() url.Values {
		return passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user")
	}
	with := func(f url.Values, k, v string) url.Values { f.Set(k, v); return f }
	without := func(f url.Values, k string) url.Values { f.Del(k); return f }

	tests := []struct {
		name     string
		form     url.Values
		basic    []string
		status   int
		err      string
		code     int
		contains string
	}{
		{"WrongPassword", with(ok(), "password", "not-the-password"), nil, 400, "invalid_grant", 50126, "invalid username or password"},
		{"UnknownUser", with(ok(), "username", "nobody@company.com"), nil, 400, "invalid_grant", 50034, "{EUII Hidden}"},
		{"MissingGrantType", without(ok(), "grant_type"), nil, 400, "invalid_request", 900144, "'grant_type'"},
		{"MissingUsername", without(ok(), "username"), nil, 400, "invalid_request", 900144, "'username'"},
		{"MissingScope", without(ok(), "scope"), nil, 400, "invalid_request", 900144, "'scope'"},
		{"MissingClientID", without(ok(), "client_id"), nil, 400, "invalid_request", 900144, "'client_id'"},
		{"UnsupportedGrant", with(ok(), "grant_type", "implicit"), nil, 400, "unsupported_grant_type", 70003, "'implicit'"},
		{"UnknownClient", with(ok(), "client_id", "99999999-0000-4000-8000-000000000000"), nil, 400, "unauthorized_client", 700016, "99999999-0000-4000-8000-000000000000"},
		{"ConfidentialClientWithoutSecret", without(ok(), "client_secret"), nil, 401, "invalid_client", 7000218, "'client_secret'"},
		{"BadSecret", with(ok(), "client_secret", "wrong"), nil, 401, "invalid_client", 7000215, entra.DevAgentClientID},
		{"BadSecretBasic", without(without(ok(), "client_secret"), "client_id"), []string{entra.DevAgentClientID, "wrong"}, 401, "invalid_client", 7000215, "client secret"},
		{"TwoClientAuthMethods", ok(), []string{entra.DevAgentClientID, agentSecret}, 400, "invalid_request", 90100, "client_secret"},
		{"PublicClientPresentingSecret", passwordForm(cliClientID, "some-secret", agentAPI+"/access_as_user"), nil, 401, "invalid_client", 700025, "Client is public"},
		{"ClientAssertionUnsupported", with(without(ok(), "client_secret"), "client_assertion", "x.y.z"), nil, 401, "invalid_client", 700027, "certificate"},
		{"UnknownResource", with(ok(), "scope", "api://unknown-api/read"), nil, 400, "invalid_resource", 500011, "api://unknown-api"},
		{"ScopeNotExposed", with(ok(), "scope", agentAPI+"/write_everything"), nil, 400, "invalid_scope", 70011, "does not exist"},
		{"ScopeWithoutResource", with(ok(), "scope", "User.Read"), nil, 400, "invalid_scope", 70011, "scope format is invalid"},
		{"OnlyOIDCScopes", with(ok(), "scope", "openid profile"), nil, 400, "invalid_scope", 70011, "no Microsoft Graph"},
		{"DefaultCombinedWithScope", with(ok(), "scope", agentAPI+"/.default "+agentAPI+"/access_as_user"), nil, 400, "invalid_scope", 70011, ".default scope can't be combined"},
		{"TwoResources", with(ok(), "scope", agentAPI+"/access_as_user "+connectorAPI+"/user_impersonation"), nil, 400, "invalid_scope", 28000, "more than one resource"},
		{"ResourceNotConsented", with(ok(), "scope", hrAPI+"/cases.read"), nil, 400, "invalid_grant", 65001, "'" + entra.DevAgentClientID + "' named 'ServiceNow Agent'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tn.post(t, tc.form, tc.basic...)
			text := wantError(t, r, tc.status, tc.err, tc.code)
			if !strings.Contains(text, tc.contains) {
				t.Errorf("description %q does not contain %q", text, tc.contains)
			}
			for _, secret := range []string{agentSecret, userPassword, "not-the-password"} {
				if strings.Contains(r.raw, secret) {
					t.Errorf("error body contains a secret or password")
				}
			}
		})
	}
}

func TestConsentErrorCarriesSuberror(t *testing.T) {
	tn := start(t)
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, hrAPI+"/cases.read"))
	wantError(t, r, 400, "invalid_grant", 65001)
	if r.str("suberror") != "consent_required" {
		t.Errorf("suberror = %q, want consent_required", r.str("suberror"))
	}
}

func TestErrorEchoesClientRequestIDAsCorrelationID(t *testing.T) {
	tn := start(t)
	const corr = "11111111-2222-4333-8444-555555555555"
	req, _ := http.NewRequest(http.MethodPost, tn.srv.TokenURL(), strings.NewReader(url.Values{"grant_type": {"password"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("client-request-id", corr)
	r := do(t, req)
	wantError(t, r, 400, "invalid_request", 900144)
	if r.str("correlation_id") != corr {
		t.Errorf("correlation_id = %q, want the client-request-id %q", r.str("correlation_id"), corr)
	}
	if r.header.Get("x-ms-request-id") != r.str("trace_id") {
		t.Errorf("x-ms-request-id %q != trace_id %q", r.header.Get("x-ms-request-id"), r.str("trace_id"))
	}
}

func TestTokenEndpointRefusesGET(t *testing.T) {
	tn := start(t)
	r := get(t, tn.srv.TokenURL())
	wantError(t, r, http.StatusMethodNotAllowed, "invalid_request", 900561)
}

func TestTokenLifetimeIsConfigurable(t *testing.T) {
	tn := start(t, func(c *entra.Config) { c.TokenLifetime = 75 * time.Minute })
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"))
	if r.body["expires_in"] != float64(4500) {
		t.Fatalf("expires_in = %v, want 4500", r.body["expires_in"])
	}
	_, c := tn.verify(t, r.str("access_token"))
	if c["exp"].(float64)-c["iat"].(float64) != 4500 {
		t.Errorf("exp-iat = %v, want 4500", c["exp"].(float64)-c["iat"].(float64))
	}
}
