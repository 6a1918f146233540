package entra_test

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

// Conditional Access and revoked consent, as the identity broker meets
// them: the OBO request for Token B is refused with Entra's error bodies.
func ExampleServer_SetConditionalAccess() {
	const agentSecret, password = "example-agent-secret", "example-password"
	ts := httptest.NewUnstartedServer(nil)
	idp, err := entra.New(entra.DevConfig("http://"+ts.Listener.Addr().String(), agentSecret, password))
	if err != nil {
		log.Fatal(err)
	}
	ts.Config.Handler = idp
	ts.Start()
	defer ts.Close()

	post := func(form url.Values) (int, map[string]any) {
		resp, err := http.PostForm(idp.TokenURL(), form)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			log.Fatal(err)
		}
		return resp.StatusCode, body
	}
	_, a := post(url.Values{
		"grant_type": {entra.GrantPassword}, "client_id": {entra.DevAgentClientID}, "client_secret": {agentSecret},
		"username": {"jane.smith@company.com"}, "password": {password},
		"scope": {"api://" + entra.DevAgentClientID + "/access_as_user"},
	})
	obo := url.Values{
		"grant_type": {entra.GrantJWTBearer}, "requested_token_use": {"on_behalf_of"},
		"client_id": {entra.DevAgentClientID}, "client_secret": {agentSecret}, "assertion": {a["access_token"].(string)},
		"scope": {"api://" + entra.DevConnectorClientID + "/user_impersonation"},
	}

	if err := idp.SetConditionalAccess("jane.smith@company.com", true); err != nil {
		log.Fatal(err)
	}
	status, body := post(obo)
	fmt.Println(status, body["error"], body["error_codes"])
	var challenge map[string]map[string]any
	_ = json.Unmarshal([]byte(body["claims"].(string)), &challenge)
	fmt.Println("claims challenge names the policy:", challenge["access_token"]["capolids"] != nil)

	_ = idp.SetConditionalAccess("jane.smith@company.com", false)
	_ = idp.RevokeConsent(entra.DevAgentClientID, entra.DevConnectorClientID)
	status, body = post(obo)
	fmt.Println(status, body["error"], body["error_codes"], body["suberror"])

	_ = idp.GrantConsent(entra.DevAgentClientID, entra.DevConnectorClientID)
	status, _ = post(obo)
	fmt.Println(status)
	// Output:
	// 400 interaction_required [50076]
	// claims challenge names the policy: true
	// 400 invalid_grant [65001] consent_required
	// 200
}
