package entra_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func clientCredentialsForm(clientID, secret, scope string) url.Values {
	f := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "scope": {scope}}
	if secret != "" {
		f.Set("client_secret", secret)
	}
	return f
}

func TestClientCredentialsIssuesAppOnlyToken(t *testing.T) {
	tn := start(t)
	r := tn.post(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default"))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r)
	}
	if _, ok := r.body["scope"]; ok {
		t.Errorf("client_credentials response has scope %v; Entra's has none", r.body["scope"])
	}
	if r.str("token_type") != "Bearer" || r.body["expires_in"] != float64(3600) {
		t.Errorf("token_type/expires_in = %v/%v", r.body["token_type"], r.body["expires_in"])
	}
	_, c := tn.verify(t, r.str("access_token"))
	if c["aud"] != entra.DevConnectorClientID || c["azp"] != entra.DevAgentClientID || c["azpacr"] != "1" ||
		c["idtyp"] != "app" || c["tid"] != entra.DevTenantID || c["ver"] != "2.0" {
		t.Errorf("claims = %v, want aud connector, azp agent, azpacr 1, idtyp app", c)
	}
	oid, _ := c["oid"].(string)
	if !guidRE.MatchString(oid) || c["sub"] != oid {
		t.Errorf("oid/sub = %v/%v, want the same service-principal GUID", c["oid"], c["sub"])
	}
	if roles, ok := c["roles"].([]any); !ok || len(roles) != 0 {
		t.Errorf("roles = %v, want an empty array", c["roles"])
	}
	for _, absent := range []string{"scp", "preferred_username", "name"} {
		if _, ok := c[absent]; ok {
			t.Errorf("app-only token carries %s", absent)
		}
	}

	// The service principal's object id is stable.
	_, c2 := tn.verify(t, tn.mustToken(t, clientCredentialsForm(entra.DevAgentClientID, agentSecret, entra.DevAgentClientID+"/.default")))
	if c2["oid"] != oid {
		t.Errorf("service principal oid changed between tokens: %v vs %v", c2["oid"], oid)
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	tn := start(t)
	tests := []struct {
		name   string
		form   url.Values
		status int
		err    string
		code   int
	}{
		{"ScopeWithoutDefault", clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/user_impersonation"), 400, "invalid_scope", 1002012},
		{"TwoResources", clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default "+agentAPI+"/.default"), 400, "invalid_scope", 70011},
		{"UnknownResource", clientCredentialsForm(entra.DevAgentClientID, agentSecret, "api://nope/.default"), 400, "invalid_resource", 500011},
		{"PublicClient", clientCredentialsForm(cliClientID, "", agentAPI+"/.default"), 401, "invalid_client", 7000218},
		{"BadSecret", clientCredentialsForm(entra.DevAgentClientID, "wrong", agentAPI+"/.default"), 401, "invalid_client", 7000215},
		{"MissingScope", clientCredentialsForm(entra.DevAgentClientID, agentSecret, ""), 400, "invalid_request", 900144},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tn.post(t, tc.form), tc.status, tc.err, tc.code)
		})
	}
}
