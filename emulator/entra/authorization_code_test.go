package entra_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func TestSPACodeRedemptionIssuesTokensWithCORS(t *testing.T) {
	tn := start(t)
	r := tn.spaTokens(t, janeUPN)
	if r.header.Get("Access-Control-Allow-Origin") != runtimeURL || !strings.Contains(r.header.Get("Vary"), "Origin") {
		t.Errorf("Access-Control-Allow-Origin %q, Vary %q", r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Vary"))
	}
	if r.str("scope") != agentAPI+"/access_as_user" || r.str("token_type") != "Bearer" || r.body["expires_in"] != float64(3600) {
		t.Errorf("response = %s", r)
	}
	if rt := r.str("refresh_token"); len(rt) < 40 || strings.Count(rt, ".") > 1 {
		t.Errorf("refresh_token = %q, want an opaque string", rt)
	}
	_, at := tn.verify(t, r.str("access_token"))
	for k, v := range map[string]any{"aud": entra.DevAgentClientID, "azp": entra.DevAgentClientID, "azpacr": "0",
		"oid": janeOID, "scp": "access_as_user", "preferred_username": janeUPN} {
		if at[k] != v {
			t.Errorf("access token %s = %v, want %v", k, at[k], v)
		}
	}
	if _, ok := at["amr"]; ok {
		t.Errorf("amr = %v without MFA", at["amr"])
	}
	_, id := tn.verify(t, r.str("id_token"))
	if id["aud"] != entra.DevAgentClientID || id["nonce"] != "nonce-456" || id["oid"] != janeOID || id["scp"] != nil {
		t.Errorf("id_token = %v, want aud agent, nonce, Jane, no scp", id)
	}
	if n := tn.srv.TokenRequests(entra.GrantAuthorizationCode); n != 1 {
		t.Errorf("TokenRequests(authorization_code) = %d, want 1", n)
	}
}

func TestCodeWithoutOpenIDOrOfflineAccessGivesOnlyAnAccessToken(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	code := tn.spaSignIn(t, janeUPN, p, "scope", agentAPI+"/access_as_user")
	r := tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier))
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("= %d %s", r.status, r)
	}
	for _, absent := range []string{"id_token", "refresh_token"} {
		if _, ok := r.body[absent]; ok {
			t.Errorf("%s returned without its scope", absent)
		}
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	code := tn.spaSignIn(t, janeUPN, p)
	if r := tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier)); r.status != http.StatusOK {
		t.Fatalf("first redemption = %d %s", r.status, r)
	}
	r := tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier))
	text := wantError(t, r, 400, "invalid_grant", 54005)
	if !strings.HasPrefix(text, "OAuth2 Authorization code was already redeemed") {
		t.Errorf("description %q", text)
	}
	if r.header.Get("Access-Control-Allow-Origin") != runtimeURL {
		t.Errorf("error without CORS header: the SPA could not read it")
	}
}

func TestCodeRedemptionErrors(t *testing.T) {
	tn := start(t)
	type tc struct {
		name     string
		origin   string
		edit     func(f url.Values, p pkce)
		status   int
		err      string
		code     int
		contains string
	}
	tests := []tc{
		{"WrongVerifier", runtimeURL, func(f url.Values, _ pkce) { f.Set("code_verifier", newPKCE(t).verifier) }, 400, "invalid_grant", 501481, "Code_Verifier does not match"},
		{"MissingVerifier", runtimeURL, func(f url.Values, _ pkce) { f.Del("code_verifier") }, 400, "invalid_request", 900144, "'code_verifier'"},
		{"NoOrigin", "", nil, 400, "invalid_request", 9002327, "may only be redeemed via cross-origin requests"},
		{"OtherOrigin", "http://127.0.0.1:9999", nil, 400, "invalid_request", 9002326, "Request origin: 'http://127.0.0.1:9999'"},
		{"SecretFromTheBrowser", runtimeURL, func(f url.Values, _ pkce) { f.Set("client_secret", agentSecret) }, 401, "invalid_client", 700025, "Client is public"},
		{"UnknownCode", runtimeURL, func(f url.Values, _ pkce) { f.Set("code", "1.Anot-a-code") }, 400, "invalid_grant", 70000, "not valid"},
		{"MissingCode", runtimeURL, func(f url.Values, _ pkce) { f.Del("code") }, 400, "invalid_request", 900144, "'code'"},
		{"MissingRedirectURI", runtimeURL, func(f url.Values, _ pkce) { f.Del("redirect_uri") }, 400, "invalid_request", 900144, "'redirect_uri'"},
		{"UnknownClient", runtimeURL, func(f url.Values, _ pkce) { f.Set("client_id", "99999999-0000-4000-8000-000000000000") }, 400, "unauthorized_client", 700016, "was not found"},
	}
	for _, c := range tests {
		t.Run(c.name, func(t *testing.T) {
			p := newPKCE(t)
			code := tn.spaSignIn(t, janeUPN, p)
			f := codeForm(code, spaRedirect, p.verifier)
			if c.edit != nil {
				c.edit(f, p)
			}
			r := tn.postFrom(t, c.origin, f)
			text := wantError(t, r, c.status, c.err, c.code)
			if !strings.Contains(text, c.contains) {
				t.Errorf("description %q does not contain %q", text, c.contains)
			}
			if strings.Contains(r.raw, code) || strings.Contains(r.raw, p.verifier) {
				t.Errorf("error body contains the code or the verifier")
			}
		})
	}
}

func TestWrongVerifierUsesTheCodeUp(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	code := tn.spaSignIn(t, janeUPN, p)
	wantError(t, tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, newPKCE(t).verifier)), 400, "invalid_grant", 501481)
	wantError(t, tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier)), 400, "invalid_grant", 54005)
}

func TestCodeExpiresAfterTenMinutes(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	code := tn.spaSignIn(t, janeUPN, p)
	tn.clock.Advance(10*time.Minute + time.Second)
	text := wantError(t, tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier)), 400, "invalid_grant", 70008)
	if !strings.Contains(text, "expired due to inactivity") {
		t.Errorf("description %q", text)
	}
}

// webCode signs Jane in through the agent's web redirect URI (a
// confidential client: PKCE optional).
func webCode(t *testing.T, tn *tenant, q url.Values) string {
	t.Helper()
	b := tn.browser(t)
	pg := b.authorize(q)
	return redirected(t, b.signIn(pg, janeUPN, false), webRedirect).Get("code")
}

func webAuthorize() url.Values {
	return url.Values{"client_id": {entra.DevAgentClientID}, "redirect_uri": {webRedirect}, "response_type": {"code"},
		"scope": {agentAPI + "/access_as_user offline_access"}, "state": {"s"}}
}

func TestWebRedirectCodeIsRedeemedWithTheClientSecret(t *testing.T) {
	tn := start(t)
	f := codeForm(webCode(t, tn, webAuthorize()), webRedirect, "")
	f.Set("client_secret", agentSecret)
	r := tn.post(t, f)
	if r.status != http.StatusOK || r.str("refresh_token") == "" {
		t.Fatalf("= %d %s", r.status, r)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS header on a server-side redemption")
	}
	_, at := tn.verify(t, r.str("access_token"))
	if at["azpacr"] != "1" {
		t.Errorf("azpacr = %v, want 1 (secret)", at["azpacr"])
	}

	tests := []struct {
		name   string
		origin string
		edit   func(url.Values)
		status int
		err    string
		code   int
	}{
		{"NoSecret", "", func(f url.Values) { f.Del("client_secret") }, 401, "invalid_client", 7000218},
		{"FromABrowser", runtimeURL, nil, 400, "invalid_request", 9002326},
		{"VerifierWithoutChallenge", "", func(f url.Values) { f.Set("code_verifier", newPKCE(t).verifier) }, 400, "invalid_grant", 501481},
		{"OtherRedirectURI", "", func(f url.Values) { f.Set("redirect_uri", cliRedirect) }, 400, "invalid_grant", 50011},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := codeForm(webCode(t, tn, webAuthorize()), webRedirect, "")
			f.Set("client_secret", agentSecret)
			if tc.edit != nil {
				tc.edit(f)
			}
			wantError(t, tn.postFrom(t, tc.origin, f), tc.status, tc.err, tc.code)
		})
	}
}

func TestCodeOfAnotherClientIsRefused(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	b := tn.browser(t)
	q := url.Values{"client_id": {cliClientID}, "redirect_uri": {cliRedirect}, "response_type": {"code"},
		"scope": {agentAPI + "/access_as_user"}, "code_challenge": {p.challenge}, "code_challenge_method": {"S256"}}
	code := redirected(t, b.signIn(b.authorize(q), janeUPN, false), cliRedirect).Get("code")
	f := codeForm(code, cliRedirect, p.verifier)
	f.Set("client_secret", agentSecret) // the agent app tries the CLI's code
	text := wantError(t, tn.post(t, f), 400, "invalid_grant", 70000)
	if !strings.Contains(text, "issued to another client") {
		t.Errorf("description %q", text)
	}
}

func TestPublicClientRedeemsWithPKCEAndNoSecret(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	b := tn.browser(t)
	q := url.Values{"client_id": {cliClientID}, "redirect_uri": {cliRedirect}, "response_type": {"code"},
		"scope": {agentAPI + "/access_as_user"}, "code_challenge": {p.challenge}, "code_challenge_method": {"S256"}}
	code := redirected(t, b.signIn(b.authorize(q), janeUPN, false), cliRedirect).Get("code")
	f := codeForm(code, cliRedirect, p.verifier)
	f.Set("client_id", cliClientID)
	r := tn.post(t, f)
	if r.status != http.StatusOK {
		t.Fatalf("= %d %s", r.status, r)
	}
	_, at := tn.verify(t, r.str("access_token"))
	if at["azp"] != cliClientID || at["azpacr"] != "0" || at["aud"] != entra.DevAgentClientID {
		t.Errorf("claims = %v", at)
	}
}

func TestTokenEndpointPreflightAllowsOnlySPAOrigins(t *testing.T) {
	tn := start(t)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, tn.srv.TokenURL(), nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type, x-client-sku")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight(runtimeURL)
	h := resp.Header
	if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != runtimeURL ||
		h.Get("Access-Control-Allow-Methods") != "POST, OPTIONS" || h.Get("Access-Control-Allow-Headers") != "content-type, x-client-sku" {
		t.Errorf("preflight from the SPA = %d %v", resp.StatusCode, h)
	}
	resp = preflight("https://evil.example")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from a foreign origin = %d ACAO %q, want no CORS grant", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}
