package entratest_test

import (
	"net/http"
	"net/url"
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
