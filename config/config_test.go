package config

import (
	"strings"
	"testing"
)

const valid = `
store: sqlite:/tmp/x/onbehalf.db
keys: { file: /tmp/x/keys.json }
identity:
  listen: 127.0.0.1:8081
  credentialProviders:
    - name: EntraIdServiceNow
      credentialProviderVendor: MicrosoftOauth2
      oauth2ProviderConfigInput:
        microsoftOauth2ProviderConfig:
          tenantId: c0ffee00-0000-4000-8000-000000000001
          clientId: a9e17000-0000-4000-8000-000000000002
          clientSecret: ${AGENT_APP_CLIENT_SECRET}
  workloadIdentities:
    - name: servicenow-agent-workload
runtime:
  listen: 127.0.0.1:8080
  agents:
    - name: servicenow
      workloadIdentity: servicenow-agent-workload
      authorizerConfiguration:
        customJWTAuthorizer:
          discoveryUrl: https://login.microsoftonline.com/t/v2.0/.well-known/openid-configuration
          allowedClients: [a9e17000-0000-4000-8000-000000000002]
          allowedAudience: [api://a9e17000-0000-4000-8000-000000000002]
      model: { provider: offline }
      servicenow:
        instanceUrl: https://example.service-now.com
        credentialProvider: EntraIdServiceNow
        scopes: [api://5e7c0000-0000-4000-8000-000000000003/user_impersonation]
`

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseExpandsSecretsFromTheEnvironment(t *testing.T) {
	c, err := Parse([]byte(valid), env(map[string]string{"AGENT_APP_CLIENT_SECRET": "s3cr3t: {not: yaml}"}))
	if err != nil {
		t.Fatal(err)
	}
	got := c.Identity.CredentialProviders[0].Oauth2ProviderConfigInput.MicrosoftOauth2ProviderConfig.ClientSecret
	if got != "s3cr3t: {not: yaml}" {
		t.Errorf("clientSecret = %q, want the variable's value verbatim", got)
	}
	if c.Runtime.Agents[0].ServiceNow.Scopes[0] != "api://5e7c0000-0000-4000-8000-000000000003/user_impersonation" {
		t.Errorf("scopes = %v", c.Runtime.Agents[0].ServiceNow.Scopes)
	}
}

func TestParseNamesMissingVariablesWithoutValues(t *testing.T) {
	_, err := Parse([]byte(valid), env(nil))
	if err == nil || !strings.Contains(err.Error(), "AGENT_APP_CLIENT_SECRET") {
		t.Fatalf("err = %v, want it to name AGENT_APP_CLIENT_SECRET", err)
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte(strings.Replace(valid, "listen: 127.0.0.1:8080", "listen: 127.0.0.1:8080\n  lisen: x", 1)), env(map[string]string{"AGENT_APP_CLIENT_SECRET": "x"}))
	if err == nil || !strings.Contains(err.Error(), "lisen") {
		t.Fatalf("err = %v, want unknown key lisen reported", err)
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	c := &Config{
		Store:   "mysql://x",
		Metrics: &Metrics{},
		Identity: Identity{CredentialProviders: []CredentialProvider{{
			Name: "bad name!", CredentialProviderVendor: "CustomOauth2",
			Oauth2ProviderConfigInput: ProviderConfigInput{CustomOauth2ProviderConfig: &CustomOauth2ProviderConfig{
				OauthDiscovery: OauthDiscovery{DiscoveryURL: "https://idp.example/oauth"},
			}},
		}}},
		Runtime: Runtime{SessionIdleTimeout: "soon", PublicURL: "https://agents.example.com/path?x=1", Agents: []Agent{
			{Name: "a", WorkloadIdentity: "nope", Model: Model{Provider: "gpt"}, Endpoint: "ftp://x"},
			{Name: "a", WorkloadIdentity: "nope"},
			{Name: "9 lives/x", WorkloadIdentity: "nope"},
		}},
	}
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate() = nil, want errors")
	}
	for _, key := range []string{
		"store:", "keys.file:", "identity.credentialProviders[0].name:",
		"customOauth2ProviderConfig.oauthDiscovery.discoveryUrl: must end in",
		"customOauth2ProviderConfig.clientId: required", "customOauth2ProviderConfig.clientSecret: required",
		"runtime.listen:", "runtime.agents[0].workloadIdentity:", "runtime.agents[0].authorizerConfiguration.customJWTAuthorizer.discoveryUrl:",
		"runtime.agents[0].model.provider:", "runtime.sessionIdleTimeout:", "runtime.agents[0].endpoint:",
		`runtime.agents[1].name: "a" names another agent too`, "runtime.agents[2].name: must be 1-48 of", "runtime.publicUrl: must be a scheme and host", "metrics.listen: required",
	} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("Validate() lacks %q:\n%v", key, err)
		}
	}
}

func TestMarshalRoundTrips(t *testing.T) {
	c, err := Parse([]byte(valid), env(map[string]string{"AGENT_APP_CLIENT_SECRET": "x"}))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	c2, err := Parse(out, env(nil))
	if err != nil {
		t.Fatalf("re-parse: %v\n%s", err, out)
	}
	if c2.Runtime.Agents[0].AuthorizerConfiguration.CustomJWTAuthorizer.AllowedAudience[0] != "api://a9e17000-0000-4000-8000-000000000002" {
		t.Errorf("round trip lost allowedAudience:\n%s", out)
	}
}
