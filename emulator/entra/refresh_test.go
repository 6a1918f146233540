package entra_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func refreshForm(rt string, kv ...string) url.Values {
	f := url.Values{"grant_type": {"refresh_token"}, "client_id": {entra.DevAgentClientID}, "refresh_token": {rt}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestRefreshRotatesAndTheOldTokenDies(t *testing.T) {
	tn := start(t)
	rt1 := tn.spaTokens(t, janeUPN).str("refresh_token")

	r := tn.postFrom(t, runtimeURL, refreshForm(rt1))
	if r.status != http.StatusOK {
		t.Fatalf("refresh = %d %s", r.status, r)
	}
	rt2 := r.str("refresh_token")
	if rt2 == "" || rt2 == rt1 || r.str("scope") != agentAPI+"/access_as_user" || r.str("id_token") == "" {
		t.Fatalf("refresh response = %s, want a new refresh token, the scope and an ID token", r)
	}
	if r.header.Get("Access-Control-Allow-Origin") != runtimeURL {
		t.Errorf("no CORS header on the SPA's refresh")
	}
	_, at := tn.verify(t, r.str("access_token"))
	if at["oid"] != janeOID || at["aud"] != entra.DevAgentClientID || at["azpacr"] != "0" {
		t.Errorf("refreshed token = %v", at)
	}

	text := wantError(t, tn.postFrom(t, runtimeURL, refreshForm(rt1)), 400, "invalid_grant", 70000)
	if !strings.Contains(text, "already redeemed") {
		t.Errorf("description %q", text)
	}
	if r := tn.postFrom(t, runtimeURL, refreshForm(rt2)); r.status != http.StatusOK {
		t.Fatalf("the rotated token = %d %s", r.status, r)
	}
	if n := tn.srv.TokenRequests(entra.GrantRefreshToken); n != 3 {
		t.Errorf("TokenRequests(refresh_token) = %d, want 3", n)
	}
}

func TestSPARefreshTokenIsBoundToTheBrowserAndLives24Hours(t *testing.T) {
	tn := start(t)
	rt := tn.spaTokens(t, janeUPN).str("refresh_token")
	wantError(t, tn.postFrom(t, "", refreshForm(rt)), 400, "invalid_request", 9002327)
	wantError(t, tn.postFrom(t, "", refreshForm(rt, "client_secret", agentSecret)), 400, "invalid_request", 9002327)

	tn.clock.Advance(23 * time.Hour)
	r := tn.postFrom(t, runtimeURL, refreshForm(rt))
	if r.status != http.StatusOK {
		t.Fatalf("refresh at 23h = %d %s", r.status, r)
	}
	tn.clock.Advance(2 * time.Hour) // 25h after sign-in: rotation did not extend it
	text := wantError(t, tn.postFrom(t, runtimeURL, refreshForm(r.str("refresh_token"))), 400, "invalid_grant", 700084)
	if !strings.Contains(text, "single page app (SPA)") {
		t.Errorf("description %q", text)
	}
}

func TestPasswordGrantRefreshTokenSlidesAndExpiresAfterInactivity(t *testing.T) {
	tn := start(t, func(c *entra.Config) { c.RefreshTokenLifetime = 2 * time.Hour })
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user offline_access"))
	rt := r.str("refresh_token")
	if rt == "" {
		t.Fatalf("no refresh token with offline_access: %s", r)
	}
	// No secret: the agent is confidential.
	wantError(t, tn.post(t, refreshForm(rt)), 401, "invalid_client", 7000218)
	for i := 0; i < 3; i++ { // each redemption opens a new 2h window
		tn.clock.Advance(90 * time.Minute)
		r = tn.post(t, refreshForm(rt, "client_secret", agentSecret))
		if r.status != http.StatusOK {
			t.Fatalf("refresh %d = %d %s", i, r.status, r)
		}
		rt = r.str("refresh_token")
		if _, ok := r.body["id_token"]; ok {
			t.Errorf("id_token without openid in the original scope")
		}
	}
	tn.clock.Advance(2 * time.Hour)
	text := wantError(t, tn.post(t, refreshForm(rt, "client_secret", agentSecret)), 400, "invalid_grant", 700082)
	if !strings.Contains(text, "inactive for 2h0m0s") {
		t.Errorf("description %q", text)
	}
}

func TestOBORefreshTokenIsBoundToScopesAndConsent(t *testing.T) {
	tn := start(t)
	r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tn.tokenA(t), connectorScope+" offline_access"))
	rt := r.str("refresh_token")
	if r.status != http.StatusOK || rt == "" {
		t.Fatalf("OBO with offline_access = %d %s", r.status, r)
	}
	r = tn.post(t, refreshForm(rt, "client_secret", agentSecret, "scope", connectorAPI+"/.default"))
	if r.status != http.StatusOK || r.str("scope") != connectorScope {
		t.Fatalf("refresh = %d %s", r.status, r)
	}
	_, b := tn.verify(t, r.str("access_token"))
	if b["aud"] != entra.DevConnectorClientID || b["oid"] != janeOID || b["azp"] != entra.DevAgentClientID {
		t.Errorf("refreshed Token B = %v", b)
	}
	rt = r.str("refresh_token")

	text := wantError(t, tn.post(t, refreshForm(rt, "client_secret", agentSecret, "scope", agentAPI+"/access_as_user")), 400, "invalid_scope", 70011)
	if !strings.Contains(text, "not issued for it") {
		t.Errorf("description %q", text)
	}
	// A refused request leaves the token usable.
	if err := tn.srv.RevokeConsent(entra.DevAgentClientID, entra.DevConnectorClientID); err != nil {
		t.Fatal(err)
	}
	wantError(t, tn.post(t, refreshForm(rt, "client_secret", agentSecret)), 400, "invalid_grant", 65001)
	if err := tn.srv.GrantConsent(entra.DevAgentClientID, entra.DevConnectorClientID); err != nil {
		t.Fatal(err)
	}
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	wantMFAChallenge(t, tn, tn.post(t, refreshForm(rt, "client_secret", agentSecret)), "invalid_grant")
	_ = tn.srv.SetConditionalAccess(janeUPN, false)
	if r := tn.post(t, refreshForm(rt, "client_secret", agentSecret)); r.status != http.StatusOK {
		t.Fatalf("refresh after the refusals = %d %s", r.status, r)
	}
}

func TestRevokeRefreshTokensFailsLaterRefreshesWithAADSTS50173(t *testing.T) {
	tn := start(t)
	rt := tn.spaTokens(t, janeUPN).str("refresh_token")
	bob := tn.spaTokens(t, "bob.jones@company.com").str("refresh_token")
	if err := tn.srv.RevokeRefreshTokens(janeUPN); err != nil {
		t.Fatal(err)
	}
	text := wantError(t, tn.postFrom(t, runtimeURL, refreshForm(rt)), 400, "invalid_grant", 50173)
	if !strings.Contains(text, "revoked") || !strings.Contains(text, "TokensValidFrom") {
		t.Errorf("description %q", text)
	}
	if r := tn.postFrom(t, runtimeURL, refreshForm(bob)); r.status != http.StatusOK {
		t.Errorf("Bob's refresh = %d %s; only Jane was revoked", r.status, r)
	}
	// A new sign-in gives Jane working tokens again.
	if r := tn.postFrom(t, runtimeURL, refreshForm(tn.spaTokens(t, janeUPN).str("refresh_token"))); r.status != http.StatusOK {
		t.Errorf("refresh after signing in again = %d %s", r.status, r)
	}
	if err := tn.srv.RevokeRefreshTokens("nobody@company.com"); err == nil {
		t.Errorf("RevokeRefreshTokens accepted an unknown user")
	}
}

func TestRefreshErrors(t *testing.T) {
	tn := start(t)
	rt := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user offline_access")).str("refresh_token")
	tests := []struct {
		name   string
		form   url.Values
		status int
		err    string
		code   int
	}{
		{"Unknown", refreshForm("1.Anope", "client_secret", agentSecret), 400, "invalid_grant", 70000},
		{"Missing", refreshForm("", "client_secret", agentSecret), 400, "invalid_request", 900144},
		{"AnotherClient", refreshForm(rt, "client_id", cliClientID), 400, "invalid_grant", 70000},
		{"BadSecret", refreshForm(rt, "client_secret", "wrong"), 401, "invalid_client", 7000215},
		{"OtherResource", refreshForm(rt, "client_secret", agentSecret, "scope", connectorScope), 400, "invalid_scope", 70011},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.form.Get("refresh_token") == "" {
				tc.form.Del("refresh_token")
			}
			r := tn.post(t, tc.form)
			wantError(t, r, tc.status, tc.err, tc.code)
			if strings.Contains(r.raw, rt) {
				t.Errorf("error body contains the refresh token")
			}
		})
	}
	// None of the refusals used the token up.
	if r := tn.post(t, refreshForm(rt, "client_secret", agentSecret)); r.status != http.StatusOK {
		t.Fatalf("refresh after refusals = %d %s", r.status, r)
	}
}

func TestLogsNeverContainCodesVerifiersOrRefreshTokens(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	code := tn.spaSignIn(t, janeUPN, p)
	r := tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier))
	rt := r.str("refresh_token")
	r2 := tn.postFrom(t, runtimeURL, refreshForm(rt))
	tn.postFrom(t, runtimeURL, refreshForm(rt)) // refused reuse
	logs := tn.logs.String()
	if !strings.Contains(logs, "entra sign-in succeeded") || !strings.Contains(logs, `"grant_type":"refresh_token"`) {
		t.Fatalf("expected sign-in and refresh log lines:\n%s", logs)
	}
	for what, s := range map[string]string{"code": code, "verifier": p.verifier, "challenge": p.challenge,
		"refresh token": rt, "rotated refresh token": r2.str("refresh_token"), "password": userPassword,
		"access token": strings.Split(r.str("access_token"), ".")[2]} {
		if strings.Contains(logs, s) {
			t.Errorf("log contains the %s", what)
		}
	}
}
