package entra_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

// Jane signs in to the agent app (Token A), the agent exchanges Token A
// On-Behalf-Of her for a ServiceNow connector token (Token B), and Token B
// is verified with the tenant's published keys.
func Example() {
	const agentSecret, password = "example-agent-secret", "example-password"

	ts := httptest.NewUnstartedServer(nil)
	idp, err := entra.New(entra.DevConfig("http://"+ts.Listener.Addr().String(), agentSecret, password))
	if err != nil {
		log.Fatal(err)
	}
	ts.Config.Handler = idp
	ts.Start()
	defer ts.Close()

	token := func(form url.Values) string {
		resp, err := http.PostForm(idp.TokenURL(), form)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
			Error       string `json:"error"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error != "" {
			log.Fatalf("token request failed: %v %s", err, body.Error)
		}
		return body.AccessToken
	}

	tokenA := token(url.Values{
		"grant_type":    {entra.GrantPassword},
		"client_id":     {entra.DevAgentClientID},
		"client_secret": {agentSecret},
		"username":      {"jane.smith@company.com"},
		"password":      {password},
		"scope":         {"api://" + entra.DevAgentClientID + "/access_as_user"},
	})
	tokenB := token(url.Values{
		"grant_type":          {entra.GrantJWTBearer},
		"requested_token_use": {"on_behalf_of"},
		"client_id":           {entra.DevAgentClientID},
		"client_secret":       {agentSecret},
		"assertion":           {tokenA},
		"scope":               {"api://" + entra.DevConnectorClientID + "/user_impersonation"},
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	keys, err := keyfunc.NewDefaultCtx(ctx, []string{idp.JWKSURL()})
	if err != nil {
		log.Fatal(err)
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(tokenB, claims, keys.Keyfunc,
		jwt.WithIssuer(idp.Issuer()), jwt.WithAudience(entra.DevConnectorClientID)); err != nil {
		log.Fatal(err)
	}
	fmt.Println("aud:", claims["aud"])
	fmt.Println("azp:", claims["azp"])
	fmt.Println("scp:", claims["scp"])
	fmt.Println("preferred_username:", claims["preferred_username"])
	fmt.Println("oid:", claims["oid"])
	fmt.Println("OBO requests:", idp.TokenRequests(entra.GrantJWTBearer))
	// Output:
	// aud: 5e7c0000-0000-4000-8000-000000000003
	// azp: a9e17000-0000-4000-8000-000000000002
	// scp: user_impersonation
	// preferred_username: jane.smith@company.com
	// oid: 0a000000-0000-4000-8000-00000000000a
	// OBO requests: 1
}
