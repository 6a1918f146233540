package entra_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

const (
	orchestratorID     = "0f000000-0000-4000-8000-00000000000f"
	orchestratorSecret = "orchestrator-secret-5e4d"
)

// withOrchestrator adds a second confidential app that acts as an actor.
func withOrchestrator(c *entra.Config) {
	c.Apps = append(c.Apps, entra.App{ClientID: orchestratorID, DisplayName: "Orchestrator", ClientSecret: orchestratorSecret})
}

func exchangeForm(subject string, kv ...string) url.Values {
	f := url.Values{
		"grant_type":         {entra.GrantTokenExchange},
		"client_id":          {entra.DevAgentClientID},
		"client_secret":      {agentSecret},
		"subject_token":      {subject},
		"subject_token_type": {entra.TokenTypeAccessToken},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

func TestTokenExchangeIssuesConnectorTokenForTheUser(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	r := tn.post(t, exchangeForm(tokenA, "audience", connectorAPI))
	if r.status != http.StatusOK {
		t.Fatalf("exchange = %d %s", r.status, r)
	}
	if r.str("issued_token_type") != entra.TokenTypeAccessToken || r.str("token_type") != "Bearer" ||
		r.body["expires_in"] != float64(3600) || r.str("scope") != connectorScope {
		t.Errorf("response = %s", r)
	}
	if _, ok := r.body["refresh_token"]; ok {
		t.Errorf("token exchange returned a refresh token")
	}
	_, c := tn.verify(t, r.str("access_token"))
	for k, v := range map[string]any{"aud": entra.DevConnectorClientID, "azp": entra.DevAgentClientID, "oid": janeOID,
		"preferred_username": janeUPN, "scp": "user_impersonation", "tid": entra.DevTenantID} {
		if c[k] != v {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	if _, ok := c["act"]; ok {
		t.Errorf("act = %v without an actor token", c["act"])
	}
	if n := tn.srv.TokenRequests(entra.GrantTokenExchange); n != 1 {
		t.Errorf("TokenRequests(token-exchange) = %d, want 1", n)
	}
}

func TestTokenExchangeTargetForms(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	cases := []struct{ name, audience, scope, wantScope string }{
		{"client id audience, short scope", entra.DevConnectorClientID, "user_impersonation", entra.DevConnectorClientID + "/user_impersonation"},
		{"full scope without audience", "", connectorScope, connectorScope},
		{"audience and matching full scope", connectorAPI, connectorScope + " openid", connectorScope},
		{"resource parameter", "", "", connectorScope},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := exchangeForm(tokenA, "audience", c.audience, "scope", c.scope)
			if c.name == "resource parameter" {
				f.Set("resource", connectorAPI)
			}
			r := tn.post(t, f)
			if r.status != http.StatusOK || r.str("scope") != c.wantScope {
				t.Fatalf("= %d scope %q, want 200 %q: %s", r.status, r.str("scope"), c.wantScope, r)
			}
		})
	}
}

func TestTokenExchangeWithActorTokensBuildsNestedActChain(t *testing.T) {
	tn := start(t, withOrchestrator)
	orchestrator := tn.mustToken(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {orchestratorID},
		"client_secret": {orchestratorSecret}, "scope": {agentAPI + "/.default"}})
	_, orch := tn.verify(t, orchestrator)

	// Hop 1: the orchestrator acts for Jane towards the agent's API.
	r := tn.post(t, exchangeForm(tn.tokenA(t), "audience", agentAPI, "actor_token", orchestrator, "actor_token_type", entra.TokenTypeJWT))
	if r.status != http.StatusOK {
		t.Fatalf("hop 1 = %d %s", r.status, r)
	}
	_, c1 := tn.verify(t, r.str("access_token"))
	want1 := map[string]any{"sub": orch["sub"], "client_id": orchestratorID}
	if act, _ := c1["act"].(map[string]any); len(act) != 2 || act["sub"] != want1["sub"] || act["client_id"] != orchestratorID {
		t.Fatalf("hop 1 act = %v, want %v", c1["act"], want1)
	}

	// Hop 2: the agent acts, with hop 1's token as subject: the agent is
	// the outermost (current) actor, the orchestrator nested inside.
	agentApp := tn.mustToken(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default"))
	_, ag := tn.verify(t, agentApp)
	r = tn.post(t, exchangeForm(r.str("access_token"), "audience", connectorAPI, "actor_token", agentApp, "actor_token_type", entra.TokenTypeAccessToken))
	if r.status != http.StatusOK {
		t.Fatalf("hop 2 = %d %s", r.status, r)
	}
	_, c2 := tn.verify(t, r.str("access_token"))
	act, _ := c2["act"].(map[string]any)
	inner, _ := act["act"].(map[string]any)
	if act["sub"] != ag["sub"] || act["client_id"] != entra.DevAgentClientID || inner["sub"] != orch["sub"] || inner["client_id"] != orchestratorID || inner["act"] != nil {
		t.Fatalf("hop 2 act = %v, want agent{orchestrator}", c2["act"])
	}
	if c2["oid"] != janeOID || c2["aud"] != entra.DevConnectorClientID {
		t.Errorf("hop 2 oid/aud = %v/%v, want Jane at the connector", c2["oid"], c2["aud"])
	}

	// Without an actor, the chain the subject carries is kept.
	r = tn.post(t, exchangeForm(tn.post(t, exchangeForm(tn.tokenA(t), "audience", agentAPI, "actor_token", orchestrator, "actor_token_type", entra.TokenTypeJWT)).str("access_token"), "audience", connectorAPI))
	_, c3 := tn.verify(t, r.str("access_token"))
	if act, _ := c3["act"].(map[string]any); act["client_id"] != orchestratorID {
		t.Errorf("act without a new actor = %v, want the subject's chain", c3["act"])
	}
}

func TestTokenExchangeErrors(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	forConnector := tn.mustToken(t, passwordForm(entra.DevAgentClientID, agentSecret, connectorScope))
	appOnly := tn.mustToken(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, agentAPI+"/.default"))
	aud := func(kv ...string) url.Values {
		return exchangeForm(tokenA, append([]string{"audience", connectorAPI}, kv...)...)
	}

	tests := []struct {
		name     string
		form     url.Values
		status   int
		err      string
		code     int
		contains string
	}{
		{"MissingSubjectToken", aud("subject_token", ""), 400, "invalid_request", 900144, "'subject_token'"},
		{"MissingSubjectTokenType", aud("subject_token_type", ""), 400, "invalid_request", 900144, "'subject_token_type'"},
		{"IDTokenType", aud("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"), 400, "invalid_request", 90100, "subject_token_type"},
		{"ActorWithoutType", aud("actor_token", appOnly), 400, "invalid_request", 900144, "'actor_token_type'"},
		{"ActorTypeWithoutToken", aud("actor_token_type", entra.TokenTypeJWT), 400, "invalid_request", 900144, "'actor_token'"},
		{"RequestedRefreshToken", aud("requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"), 400, "invalid_request", 90100, "requested_token_type"},
		{"NoTarget", exchangeForm(tokenA), 400, "invalid_request", 900144, "'audience'"},
		{"UnknownAudience", aud("audience", "api://nope"), 400, "invalid_target", 500011, "api://nope"},
		{"UnknownScopeResource", exchangeForm(tokenA, "scope", "api://nope/read"), 400, "invalid_target", 500011, "api://nope"},
		{"AudienceAndScopeDisagree", aud("scope", hrAPI+"/cases.read"), 400, "invalid_target", 28000, "exactly one"},
		{"UnknownShortScope", aud("scope", "delete_everything"), 400, "invalid_scope", 70011, "'delete_everything'"},
		{"SubjectForAnotherAudience", aud("subject_token", forConnector), 400, "invalid_request", 500131, "Assertion audience does not match"},
		{"SubjectNotAJWT", aud("subject_token", "not-a-jwt"), 400, "invalid_request", 50013, "not a well-formed JWT"},
		{"AppOnlySubject", aud("subject_token", appOnly), 400, "invalid_request", 50013, "App-only tokens"},
		{"UserTokenAsActor", aud("actor_token", tokenA, "actor_token_type", entra.TokenTypeJWT), 400, "invalid_request", 50013, "actor_token is not an app-only"},
		{"GarbageActor", aud("actor_token", "garbage", "actor_token_type", entra.TokenTypeJWT), 400, "invalid_request", 50013, "not a well-formed JWT"},
		{"AudienceNotConsented", aud("audience", hrAPI), 400, "invalid_grant", 65001, "has not consented"},
		{"PublicClient", aud("client_id", cliClientID, "client_secret", ""), 401, "invalid_client", 7000218, "'client_secret'"},
		{"BadSecret", aud("client_secret", "wrong"), 401, "invalid_client", 7000215, entra.DevAgentClientID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tn.post(t, tc.form)
			text := wantError(t, r, tc.status, tc.err, tc.code)
			if !strings.Contains(text, tc.contains) {
				t.Errorf("description %q does not contain %q", text, tc.contains)
			}
			if strings.Contains(r.raw, tokenA) {
				t.Errorf("error body contains the subject token")
			}
		})
	}
}

func TestTokenExchangeRejectsExpiredSubjectAndHonoursConditionalAccess(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	wantMFAChallenge(t, tn, tn.post(t, exchangeForm(tokenA, "audience", connectorAPI)), "interaction_required")
	tn.clock.Advance(time.Hour)
	wantError(t, tn.post(t, exchangeForm(tokenA, "audience", connectorAPI)), 400, "invalid_request", 500133)
}

func TestTokenExchangeRejectsOverlongActChain(t *testing.T) {
	tn := start(t)
	deep := map[string]any{"sub": "x"}
	for i := 0; i < 9; i++ {
		deep = map[string]any{"sub": "x", "act": deep}
	}
	// Forged with another key, the subject is refused on its signature
	// first; sign it with the tenant's own key to reach the act check.
	header, claims := tn.verify(t, tn.tokenA(t))
	claims["act"] = deep
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = header["kid"]
	subject, err := tok.SignedString(testKey(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	text := wantError(t, tn.post(t, exchangeForm(subject, "audience", connectorAPI)), 400, "invalid_request", 50013)
	if !strings.Contains(text, "deeper than 8") {
		t.Errorf("description %q", text)
	}
}
