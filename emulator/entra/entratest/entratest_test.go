package entratest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
)

func TestStartServesDevTenantAndTokenAWorksForOBO(t *testing.T) {
	tn := entratest.Start(t)
	tokenA := tn.TokenA(t, "bob.jones@company.com")

	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tokenA, claims); err != nil {
		t.Fatal(err)
	}
	if claims["aud"] != entra.DevAgentClientID || claims["oid"] != "0b000000-0000-4000-8000-00000000000b" || claims["iss"] != tn.Issuer() {
		t.Errorf("Token A claims = %v", claims)
	}

	resp, err := http.PostForm(tn.TokenURL(), url.Values{
		"grant_type":          {entra.GrantJWTBearer},
		"requested_token_use": {"on_behalf_of"},
		"client_id":           {entra.DevAgentClientID},
		"client_secret":       {tn.AgentSecret},
		"assertion":           {tokenA},
		"scope":               {entratest.ConnectorScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OBO with Token A = %d, want 200", resp.StatusCode)
	}
	if got := tn.TokenRequests(entra.GrantJWTBearer); got != 1 {
		t.Errorf("TokenRequests(jwt-bearer) = %d, want 1", got)
	}
}

func TestStartGivesEachTenantFreshSecrets(t *testing.T) {
	a, b := entratest.Start(t), entratest.Start(t)
	if a.AgentSecret == b.AgentSecret || a.UserPassword == b.UserPassword || a.URL == b.URL {
		t.Errorf("two tenants share secrets or URL")
	}
}

func TestSignInDrivesTheCodeFlowForAUIAtRuntimeURL(t *testing.T) {
	const ui = "http://127.0.0.1:5999"
	tn := entratest.Start(t, entratest.WithRuntimeURL(ui))
	verifier, challenge := entratest.NewPKCE()
	authz := tn.AuthorizeURL() + "?" + url.Values{
		"client_id": {entra.DevAgentClientID}, "redirect_uri": {ui + "/"}, "response_type": {"code"},
		"scope": {entratest.AgentScope + " openid offline_access"}, "state": {"st"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}.Encode()
	back := tn.SignIn(t, authz, "soc.analyst@company.com", false)
	if back.Host != "127.0.0.1:5999" || back.Query().Get("state") != "st" || back.Query().Get("code") == "" {
		t.Fatalf("redirect = %s, want the UI with code and state", back.Redacted())
	}

	req, _ := http.NewRequest(http.MethodPost, tn.TokenURL(), strings.NewReader(url.Values{
		"grant_type": {entra.GrantAuthorizationCode}, "client_id": {entra.DevAgentClientID},
		"code": {back.Query().Get("code")}, "redirect_uri": {ui + "/"}, "code_verifier": {verifier},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ui)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || body.AccessToken == "" || body.RefreshToken == "" || body.IDToken == "" {
		t.Fatalf("redeem = %d (%v), want access, refresh and ID tokens", resp.StatusCode, err)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != ui {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", resp.Header.Get("Access-Control-Allow-Origin"), ui)
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(body.AccessToken, claims); err != nil || claims["preferred_username"] != "soc.analyst@company.com" {
		t.Errorf("Token A = %v (%v)", claims, err)
	}
}
