package identity_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/store"
)

var secretARNRE = regexp.MustCompile(`^arn:aws:secretsmanager:us-east-1:000000000000:secret:bedrock-agentcore-identity!default/oauth2/EntraIdServiceNow-[A-Za-z0-9]{6}$`)

func TestCreateOauth2ProviderFromTheArticleReturnsARNsAndNeverTheSecret(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	const secret = "article-client-secret-value"
	disc := "https://login.microsoftonline.com/c0ffee00-0000-4000-8000-000000000001/v2.0/.well-known/openid-configuration"
	out, err := w.b.CreateOauth2CredentialProvider(ctx, articleProvider(t, disc, secret))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if out.Name != "EntraIdServiceNow" || out.Status != "READY" ||
		out.CredentialProviderArn != "arn:aws:bedrock-agentcore:us-east-1:000000000000:token-vault/default/oauth2credentialprovider/EntraIdServiceNow" {
		t.Errorf("output = %+v", out)
	}
	if !secretARNRE.MatchString(out.ClientSecretArn.SecretArn) {
		t.Errorf("clientSecretArn = %q, want %s", out.ClientSecretArn.SecretArn, secretARNRE)
	}
	if out.CallbackURL != "https://broker.example/identities/oauth2/callback" {
		t.Errorf("callbackUrl = %q", out.CallbackURL)
	}
	wantCfg := identity.Oauth2ProviderConfigOutput{CustomOauth2ProviderConfig: &identity.CustomOauth2ProviderConfigOutput{
		OauthDiscovery:                identity.Oauth2Discovery{DiscoveryURL: disc},
		ClientID:                      "a9e17000-0000-4000-8000-000000000002",
		OnBehalfOfTokenExchangeConfig: &identity.OnBehalfOfTokenExchangeConfig{GrantType: "JWT_AUTHORIZATION_GRANT"},
	}}
	if diff := cmp.Diff(wantCfg, out.Oauth2ProviderConfigOutput); diff != "" {
		t.Errorf("oauth2ProviderConfigOutput (-want +got):\n%s", diff)
	}

	w.clk.Advance(time.Minute)
	got, err := w.b.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "EntraIdServiceNow"})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.ClientSecretArn != out.ClientSecretArn || got.CredentialProviderVendor != "CustomOauth2" ||
		!got.CreatedTime.Equal(w.clk.Now().Add(-time.Minute)) || !got.LastUpdatedTime.Equal(got.CreatedTime) {
		t.Errorf("Get = %+v", got)
	}
	if diff := cmp.Diff(wantCfg, got.Oauth2ProviderConfigOutput); diff != "" {
		t.Errorf("Get config (-want +got):\n%s", diff)
	}
	for _, v := range []any{out, got} {
		if s := mustJSON(t, v); strings.Contains(s, secret) || strings.Contains(s, "clientSecret\"") {
			t.Errorf("output JSON holds the secret: %s", s)
		}
	}
}

func TestRegionAndAccountFillTheARNs(t *testing.T) {
	w := newCPWorld(t, func(c *identity.Config) { c.Region, c.AccountID = "eu-west-1", "123456789012" })
	ctx := context.Background()
	out, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "servicenow-agent-workload"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:bedrock-agentcore:eu-west-1:123456789012:workload-identity-directory/default/workload-identity/servicenow-agent-workload"; out.WorkloadIdentityArn != want {
		t.Errorf("workloadIdentityArn = %q, want %q", out.WorkloadIdentityArn, want)
	}
	key, err := w.b.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "Search", APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:bedrock-agentcore:eu-west-1:123456789012:token-vault/default/apikeycredentialprovider/Search"; key.CredentialProviderArn != want {
		t.Errorf("credentialProviderArn = %q", key.CredentialProviderArn)
	}
	if !strings.HasPrefix(key.APIKeySecretArn.SecretArn, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:bedrock-agentcore-identity!default/apikey/Search-") {
		t.Errorf("apiKeySecretArn = %q", key.APIKeySecretArn.SecretArn)
	}
}

func TestOauth2ProviderValidationNamesEachBadMember(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	disc := "https://idp.example/.well-known/openid-configuration"
	custom := func(edit func(*identity.CustomOauth2ProviderConfigInput)) identity.CreateOauth2CredentialProviderInput {
		in := customProvider("P", disc, "s")
		edit(in.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig)
		return in
	}
	const cp = "oauth2ProviderConfigInput.customOauth2ProviderConfig."
	tests := []struct {
		name string
		in   identity.CreateOauth2CredentialProviderInput
		want []string
	}{
		{"bad name and tags", func() identity.CreateOauth2CredentialProviderInput {
			in := customProvider("bad name!", disc, "s")
			in.Tags = map[string]string{"k": "bad\x00value"}
			return in
		}(), []string{"name", "tags"}},
		{"unknown vendor", identity.CreateOauth2CredentialProviderInput{Name: "P", CredentialProviderVendor: "MySpaceOauth2"}, []string{"credentialProviderVendor"}},
		{"no config", identity.CreateOauth2CredentialProviderInput{Name: "P", CredentialProviderVendor: "CustomOauth2"}, []string{"oauth2ProviderConfigInput"}},
		{"config of another vendor", identity.CreateOauth2CredentialProviderInput{Name: "P", CredentialProviderVendor: "GoogleOauth2",
			Oauth2ProviderConfigInput: identity.Oauth2ProviderConfigInput{MicrosoftOauth2ProviderConfig: &identity.MicrosoftOauth2ProviderConfigInput{ClientID: "c", ClientSecret: "s"}}},
			[]string{"oauth2ProviderConfigInput.microsoftOauth2ProviderConfig"}},
		{"discovery URL not well-known", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.OauthDiscovery.DiscoveryURL = "https://idp.example/metadata"
		}), []string{cp + "oauthDiscovery.discoveryUrl"}},
		{"both discovery members", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.OauthDiscovery.AuthorizationServerMetadata = &identity.Oauth2AuthorizationServerMetadata{Issuer: "i", AuthorizationEndpoint: "https://a", TokenEndpoint: "https://t"}
		}), []string{cp + "oauthDiscovery"}},
		{"metadata without endpoints", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.OauthDiscovery = identity.Oauth2Discovery{AuthorizationServerMetadata: &identity.Oauth2AuthorizationServerMetadata{Issuer: "i", TokenEndpoint: "not a url", TokenEndpointAuthMethods: []string{"private_key_jwt"}}}
		}), []string{cp + "oauthDiscovery.authorizationServerMetadata.authorizationEndpoint", cp + "oauthDiscovery.authorizationServerMetadata.tokenEndpoint", cp + "oauthDiscovery.authorizationServerMetadata.tokenEndpointAuthMethods"}},
		{"no secret, no client id", custom(func(c *identity.CustomOauth2ProviderConfigInput) { c.ClientSecret, c.ClientID = "", "" }), []string{cp + "clientId", cp + "clientSecret"}},
		{"AWS IAM auth", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.ClientAuthenticationMethod = "AWS_IAM_ID_TOKEN_JWT"
		}), []string{cp + "clientAuthenticationMethod"}},
		{"private key jwt with a secret", custom(func(c *identity.CustomOauth2ProviderConfigInput) { c.ClientAuthenticationMethod = "PRIVATE_KEY_JWT" }), []string{cp + "clientSecret"}},
		{"bad grant and actor", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.OnBehalfOfTokenExchangeConfig = &identity.OnBehalfOfTokenExchangeConfig{GrantType: "SAML",
				TokenExchangeGrantTypeConfig: &identity.TokenExchangeGrantTypeConfig{ActorTokenContent: "AWS_IAM_ID_TOKEN_JWT"}}
		}), []string{cp + "onBehalfOfTokenExchangeConfig.grantType", cp + "onBehalfOfTokenExchangeConfig.tokenExchangeGrantTypeConfig", cp + "onBehalfOfTokenExchangeConfig.tokenExchangeGrantTypeConfig.actorTokenContent"}},
		{"private endpoint", custom(func(c *identity.CustomOauth2ProviderConfigInput) {
			c.PrivateEndpoint = []byte(`{"managedVpcResource":{"vpcIdentifier":"vpc-12345678"}}`)
		}), []string{cp + "privateEndpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.b.CreateOauth2CredentialProvider(ctx, tt.in)
			got := fieldNames(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fieldList names (-want +got):\n%s\nmessage: %v", diff, err)
			}
			if !strings.Contains(err.Error(), "validation error") || strings.Contains(err.Error(), "bad\x00value") {
				t.Errorf("message = %q", err)
			}
		})
	}
	if _, err := w.b.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "P"}); identity.ErrorType(err) != identity.ResourceNotFoundException {
		t.Errorf("a refused create stored something: %v", err)
	}
}

func TestDuplicateNamesAreConflictAndMissingOnesNotFound(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	disc := "https://idp.example/.well-known/openid-configuration"
	if _, err := w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", disc, "s")); err != nil {
		t.Fatal(err)
	}
	_, err := w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", disc, "other"))
	wantErr(t, err, identity.ConflictException)
	if _, err := w.b.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "K", APIKey: "k1"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.b.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "K", APIKey: "k2"})
	wantErr(t, err, identity.ConflictException)
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "wl-1"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "wl-1"})
	wantErr(t, err, identity.ConflictException)

	for name, call := range map[string]func() error{
		"GetOauth2": func() error {
			_, err := w.b.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "Nope"})
			return err
		},
		"UpdateOauth2": func() error {
			_, err := w.b.UpdateOauth2CredentialProvider(ctx, toUpdate(customProvider("Nope", disc, "s")))
			return err
		},
		"DeleteOauth2": func() error {
			_, err := w.b.DeleteOauth2CredentialProvider(ctx, identity.DeleteOauth2CredentialProviderInput{Name: "Nope"})
			return err
		},
		"GetApiKey": func() error {
			_, err := w.b.GetApiKeyCredentialProvider(ctx, identity.GetApiKeyCredentialProviderInput{Name: "Nope"})
			return err
		},
		"UpdateApiKey": func() error {
			_, err := w.b.UpdateApiKeyCredentialProvider(ctx, identity.UpdateApiKeyCredentialProviderInput{Name: "Nope", APIKey: "k"})
			return err
		},
		"DeleteApiKey": func() error {
			_, err := w.b.DeleteApiKeyCredentialProvider(ctx, identity.DeleteApiKeyCredentialProviderInput{Name: "Nope"})
			return err
		},
		"GetWorkload": func() error {
			_, err := w.b.GetWorkloadIdentity(ctx, identity.GetWorkloadIdentityInput{Name: "nope"})
			return err
		},
		"UpdateWorkload": func() error {
			_, err := w.b.UpdateWorkloadIdentity(ctx, identity.UpdateWorkloadIdentityInput{Name: "nope"})
			return err
		},
		"DeleteWorkload": func() error {
			_, err := w.b.DeleteWorkloadIdentity(ctx, identity.DeleteWorkloadIdentityInput{Name: "nope"})
			return err
		},
		"GetTokenVault": func() error {
			_, err := w.b.GetTokenVault(ctx, identity.GetTokenVaultInput{TokenVaultID: "other"})
			return err
		},
	} {
		if got := identity.ErrorType(call()); got != identity.ResourceNotFoundException {
			t.Errorf("%s: error type %q, want ResourceNotFoundException", name, got)
		}
	}
}

func TestListsPageInNameOrderWithNextToken(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	disc := "https://idp.example/.well-known/openid-configuration"
	var want []string
	for i := range 25 {
		name := fmt.Sprintf("P%02d", 24-i) // created out of order
		if _, err := w.b.CreateOauth2CredentialProvider(ctx, customProvider(name, disc, "s")); err != nil {
			t.Fatal(err)
		}
		want = append(want, name)
	}
	slices.Sort(want)
	var got []string
	next := ""
	pages := 0
	for pages < 10 {
		out, err := w.b.ListOauth2CredentialProviders(ctx, identity.ListOauth2CredentialProvidersInput{MaxResults: 10, NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, it := range out.CredentialProviders {
			got = append(got, it.Name)
			if it.CredentialProviderVendor != "CustomOauth2" || !strings.HasSuffix(it.CredentialProviderArn, "/oauth2credentialprovider/"+it.Name) || it.CreatedTime.IsZero() {
				t.Errorf("item = %+v", it)
			}
		}
		if next = out.NextToken; next == "" {
			break
		}
	}
	if pages != 3 {
		t.Errorf("pages = %d, want 3 (10+10+5)", pages)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	out, err := w.b.ListOauth2CredentialProviders(ctx, identity.ListOauth2CredentialProvidersInput{})
	if err != nil || len(out.CredentialProviders) != 20 || out.NextToken == "" {
		t.Errorf("default page = %d items, next %q, %v; want 20 and a next token", len(out.CredentialProviders), out.NextToken, err)
	}
	_, err = w.b.ListOauth2CredentialProviders(ctx, identity.ListOauth2CredentialProvidersInput{MaxResults: 21})
	if diff := cmp.Diff([]string{"maxResults"}, fieldNames(t, err)); diff != "" {
		t.Error(diff)
	}
	_, err = w.b.ListWorkloadIdentities(ctx, identity.ListWorkloadIdentitiesInput{NextToken: "forged"})
	if diff := cmp.Diff([]string{"nextToken"}, fieldNames(t, err)); diff != "" {
		t.Error(diff)
	}
	empty, err := w.b.ListApiKeyCredentialProviders(ctx, identity.ListApiKeyCredentialProvidersInput{})
	if err != nil || empty.CredentialProviders == nil || len(empty.CredentialProviders) != 0 {
		t.Errorf("empty list = %#v, %v; want a non-nil empty list", empty.CredentialProviders, err)
	}
}

func TestUpdateOauth2ProviderReplacesConfigAndKeepsAnOmittedSecret(t *testing.T) {
	idp := newFakeIdP(t, func(int, url.Values) (int, string) { return 200, tokenJSON("T", "", 600) })
	w := newCPWorld(t, nil)
	ctx := context.Background()
	created, err := w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", "https://old.example/.well-known/openid-configuration", "original-secret"))
	if err != nil {
		t.Fatal(err)
	}
	w.clk.Advance(time.Hour)
	up := customProvider("P", idp.srv.URL+"/.well-known/openid-configuration", "")
	up.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig.ClientAuthenticationMethod = "CLIENT_SECRET_BASIC"
	out, err := w.b.UpdateOauth2CredentialProvider(ctx, toUpdate(up))
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if out.ClientSecretArn != created.ClientSecretArn || !out.LastUpdatedTime.Equal(w.clk.Now()) || !out.CreatedTime.Equal(w.clk.Now().Add(-time.Hour)) {
		t.Errorf("update output = %+v", out)
	}
	if got := out.Oauth2ProviderConfigOutput.CustomOauth2ProviderConfig; got.ClientAuthenticationMethod != "CLIENT_SECRET_BASIC" || got.OauthDiscovery.DiscoveryURL != idp.srv.URL+"/.well-known/openid-configuration" {
		t.Errorf("config after update = %+v", got)
	}

	// The kept secret authenticates at the new server, now with Basic.
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: workload}); err != nil {
		t.Fatal(err)
	}
	wat, err := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "P", "read")); err != nil {
		t.Fatal(err)
	}
	if got := idp.authHeaders(); len(got) != 1 || got[0] != basic("agent", "original-secret") {
		t.Errorf("Authorization = %q, want Basic with the original secret", got)
	}
}

func TestConfiguredRecordsAreStoredAndTheAPIMayNotChangeThem(t *testing.T) {
	disc := "https://idp.example/.well-known/openid-configuration"
	w := newCPWorld(t, func(c *identity.Config) {
		c.Providers = []identity.Oauth2CredentialProvider{{Name: "Cfg", CredentialProviderVendor: identity.VendorCustomOauth2,
			DiscoveryURL: disc, ClientID: "first-client", ClientSecret: "s1", OnBehalfOfGrantType: identity.GrantTokenExchange}}
		c.APIKeyProviders = []identity.APIKeyCredentialProvider{{Name: "CfgKey", APIKey: "cfg-key-1"}}
		c.Workloads = []identity.WorkloadIdentity{{Name: "cfg-workload", AllowedProviders: []string{"Cfg"}, AllowedResourceOauth2ReturnURLs: []string{"https://app.example/done"}}}
	})
	ctx := context.Background()
	got, err := w.b.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "Cfg"})
	if err != nil || got.Oauth2ProviderConfigOutput.CustomOauth2ProviderConfig.ClientID != "first-client" {
		t.Fatalf("Get = %+v, %v", got, err)
	}
	wl, err := w.b.GetWorkloadIdentity(ctx, identity.GetWorkloadIdentityInput{Name: "cfg-workload"})
	if err != nil || !slices.Equal(wl.AllowedResourceOauth2ReturnUrls, []string{"https://app.example/done"}) || !slices.Equal(wl.AllowedCredentialProviders, []string{"Cfg"}) {
		t.Fatalf("workload = %+v, %v", wl, err)
	}
	for name, err := range map[string]error{
		"update provider": func() error {
			_, err := w.b.UpdateOauth2CredentialProvider(ctx, toUpdate(customProvider("Cfg", disc, "x")))
			return err
		}(),
		"delete provider": func() error {
			_, err := w.b.DeleteOauth2CredentialProvider(ctx, identity.DeleteOauth2CredentialProviderInput{Name: "Cfg"})
			return err
		}(),
		"update key": func() error {
			_, err := w.b.UpdateApiKeyCredentialProvider(ctx, identity.UpdateApiKeyCredentialProviderInput{Name: "CfgKey", APIKey: "x"})
			return err
		}(),
		"delete workload": func() error {
			_, err := w.b.DeleteWorkloadIdentity(ctx, identity.DeleteWorkloadIdentityInput{Name: "cfg-workload"})
			return err
		}(),
		"create over config": func() error {
			_, err := w.b.CreateOauth2CredentialProvider(ctx, customProvider("Cfg", disc, "x"))
			return err
		}(),
	} {
		ie := wantErr(t, err, identity.ConflictException)
		if name != "create over config" && !strings.Contains(ie.Message, "configuration") {
			t.Errorf("%s: message = %q, want it to point at the configuration", name, ie.Message)
		}
	}

	// A restart with a changed configuration updates the record in place.
	w.clk.Advance(time.Hour)
	b2 := w.replica(func(c *identity.Config) { c.Providers[0].ClientID = "second-client" })
	again, err := b2.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "Cfg"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Oauth2ProviderConfigOutput.CustomOauth2ProviderConfig.ClientID != "second-client" || again.ClientSecretArn != got.ClientSecretArn ||
		!again.CreatedTime.Equal(got.CreatedTime) || !again.LastUpdatedTime.After(got.LastUpdatedTime) {
		t.Errorf("after restart = %+v (before %+v)", again, got)
	}
}

func TestReplicasShareTheControlPlane(t *testing.T) {
	idp := newFakeIdP(t, func(n int, _ url.Values) (int, string) { return 200, tokenJSON(fmt.Sprintf("T%d", n), "", 600) })
	w := newCPWorld(t, func(c *identity.Config) { c.ResourceCacheTTL = -1 })
	a, b := w.b, w.replica(nil)
	ctx := context.Background()
	if _, err := a.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: workload}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.CreateOauth2CredentialProvider(ctx, customProvider("P", idp.srv.URL+"/.well-known/openid-configuration", "s")); err != nil {
		t.Fatal(err)
	}
	// Created on a, used on b.
	wat, err := b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	if err != nil {
		t.Fatalf("replica b does not see the workload: %v", err)
	}
	out, err := b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "P", "read"))
	if err != nil || out.AccessToken != "T1" {
		t.Fatalf("replica b: %+v, %v", out, err)
	}
	// a's vault row is b's vault row.
	if out, err := a.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "P", "read")); err != nil || out.AccessToken != "T1" {
		t.Errorf("replica a: %+v, %v; want the vault hit T1", out, err)
	}
	// Deleted on a: gone on b, and re-creating the name does not revive
	// the old provider's tokens.
	if _, err := a.DeleteOauth2CredentialProvider(ctx, identity.DeleteOauth2CredentialProviderInput{Name: "P"}); err != nil {
		t.Fatal(err)
	}
	_, err = b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "P", "read"))
	wantErr(t, err, identity.ResourceNotFoundException)
	if _, err := a.CreateOauth2CredentialProvider(ctx, customProvider("P", idp.srv.URL+"/.well-known/openid-configuration", "s")); err != nil {
		t.Fatal(err)
	}
	if out, err := b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "P", "read")); err != nil || out.AccessToken != "T2" {
		t.Errorf("after re-create: %+v, %v; want a fresh exchange T2", out, err)
	}
}

func TestAPIKeyProviderLifecycleAndGetResourceApiKey(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	created, err := w.b.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "Search", APIKey: "search-key-1", Tags: map[string]string{"team": "it"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.b.GetApiKeyCredentialProvider(ctx, identity.GetApiKeyCredentialProviderInput{Name: "Search"})
	if err != nil || got.APIKeySecretArn != created.APIKeySecretArn || strings.Contains(mustJSON(t, got), "search-key-1") {
		t.Fatalf("Get = %s, %v", mustJSON(t, got), err)
	}
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: workload}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: restricted, AllowedCredentialProviders: []string{"Other"}}); err != nil {
		t.Fatal(err)
	}
	wat := func(name string) string {
		out, err := w.b.GetWorkloadAccessToken(ctx, identity.GetWorkloadAccessTokenInput{WorkloadName: name})
		if err != nil {
			t.Fatal(err)
		}
		return out.WorkloadAccessToken
	}
	key, err := w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: wat(workload), ResourceCredentialProviderName: "Search"})
	if err != nil || key.APIKey != "search-key-1" {
		t.Fatalf("GetResourceApiKey = %v, %v", key, err)
	}
	if _, err := w.b.UpdateApiKeyCredentialProvider(ctx, identity.UpdateApiKeyCredentialProviderInput{Name: "Search", APIKey: "search-key-2"}); err != nil {
		t.Fatal(err)
	}
	if key, _ := w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: wat(workload), ResourceCredentialProviderName: "Search"}); key.APIKey != "search-key-2" {
		t.Errorf("after update = %v, want search-key-2", key)
	}
	_, err = w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: wat(restricted), ResourceCredentialProviderName: "Search"})
	wantErr(t, err, identity.AccessDeniedException)
	_, err = w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: "obwat1.forged", ResourceCredentialProviderName: "Search"})
	wantErr(t, err, identity.UnauthorizedException)
	if _, err := w.b.DeleteApiKeyCredentialProvider(ctx, identity.DeleteApiKeyCredentialProviderInput{Name: "Search"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: wat(workload), ResourceCredentialProviderName: "Search"})
	wantErr(t, err, identity.ResourceNotFoundException)

	evs, _ := w.st.ListAudit(ctx, store.AuditFilter{Action: "GetResourceApiKey", Limit: 100})
	if len(evs) != 5 || evs[len(evs)-1].Outcome != "ok" || evs[len(evs)-1].Workload != workload || evs[len(evs)-1].Provider != "Search" {
		t.Errorf("GetResourceApiKey audit = %+v", evs)
	}
}

func TestWorkloadIdentityLifecycle(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := context.Background()
	in := identity.CreateWorkloadIdentityInput{Name: "agent.v2_x", AllowedResourceOauth2ReturnUrls: []string{"https://app.example/cb", "myapp://done"},
		AllowedCredentialProviders: []string{"P"}}
	if _, err := w.b.CreateWorkloadIdentity(ctx, in); err != nil {
		t.Fatal(err)
	}
	// AWS clients never send allowedCredentialProviders: an update without
	// it keeps the list (never widens the workload by omission).
	w.clk.Advance(time.Minute)
	out, err := w.b.UpdateWorkloadIdentity(ctx, identity.UpdateWorkloadIdentityInput{Name: "agent.v2_x", AllowedResourceOauth2ReturnUrls: []string{"https://app.example/new"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.AllowedResourceOauth2ReturnUrls, []string{"https://app.example/new"}) || !slices.Equal(out.AllowedCredentialProviders, []string{"P"}) ||
		!out.LastUpdatedTime.After(out.CreatedTime) {
		t.Errorf("after update = %+v", out)
	}
	list, err := w.b.ListWorkloadIdentities(ctx, identity.ListWorkloadIdentitiesInput{})
	if err != nil || len(list.WorkloadIdentities) != 1 || list.WorkloadIdentities[0].Name != "agent.v2_x" {
		t.Errorf("list = %+v, %v", list, err)
	}
	_, err = w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "ab", AllowedResourceOauth2ReturnUrls: []string{"no scheme here"}})
	if diff := cmp.Diff([]string{"name", "allowedResourceOauth2ReturnUrls.1"}, fieldNames(t, err)); diff != "" {
		t.Error(diff)
	}
	wat, err := w.b.GetWorkloadAccessToken(ctx, identity.GetWorkloadAccessTokenInput{WorkloadName: "agent.v2_x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.DeleteWorkloadIdentity(ctx, identity.DeleteWorkloadIdentityInput{Name: "agent.v2_x"}); err != nil {
		t.Fatal(err)
	}
	_, err = w.b.GetResourceApiKey(ctx, identity.GetResourceApiKeyInput{WorkloadIdentityToken: wat.WorkloadAccessToken, ResourceCredentialProviderName: "P"})
	ie := wantErr(t, err, identity.AccessDeniedException)
	if !strings.Contains(ie.Message, "no longer exists") {
		t.Errorf("message = %q", ie.Message)
	}
}

func TestGetTokenVaultDescribesTheDefaultVault(t *testing.T) {
	w := newCPWorld(t, nil)
	started := w.clk.Now()
	w.clk.Advance(time.Hour)
	out, err := w.b.GetTokenVault(context.Background(), identity.GetTokenVaultInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := identity.GetTokenVaultOutput{TokenVaultID: "default", KmsConfiguration: identity.KmsConfiguration{KeyType: "ServiceManagedKey"}, LastModifiedDate: started}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestControlPlaneChangesAreAuditedWithoutSecrets(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := identity.WithRequestInfo(context.Background(), identity.RequestInfo{RequestID: "req-cp"})
	disc := "https://idp.example/.well-known/openid-configuration"
	const secret, key = "cp-client-secret", "cp-api-key"
	w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", disc, secret))
	w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", disc, secret)) // conflict
	w.b.UpdateOauth2CredentialProvider(ctx, toUpdate(customProvider("P", disc, secret+"2")))
	w.b.DeleteOauth2CredentialProvider(ctx, identity.DeleteOauth2CredentialProviderInput{Name: "P"})
	w.b.CreateApiKeyCredentialProvider(ctx, identity.CreateApiKeyCredentialProviderInput{Name: "K", APIKey: key})
	w.b.UpdateApiKeyCredentialProvider(ctx, identity.UpdateApiKeyCredentialProviderInput{Name: "K", APIKey: key + "2"})
	w.b.DeleteApiKeyCredentialProvider(ctx, identity.DeleteApiKeyCredentialProviderInput{Name: "K"})
	w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "wl-x"})
	w.b.UpdateWorkloadIdentity(ctx, identity.UpdateWorkloadIdentityInput{Name: "wl-x"})
	w.b.DeleteWorkloadIdentity(ctx, identity.DeleteWorkloadIdentityInput{Name: "wl-x"})
	w.b.GetOauth2CredentialProvider(ctx, identity.GetOauth2CredentialProviderInput{Name: "P"}) // reads are not audited

	evs, err := w.st.ListAudit(context.Background(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(evs)
	type row struct{ Action, Provider, Workload, Outcome, RequestID string }
	want := []row{
		{"CreateOauth2CredentialProvider", "P", "", "ok", "req-cp"},
		{"CreateOauth2CredentialProvider", "P", "", "ConflictException", "req-cp"},
		{"UpdateOauth2CredentialProvider", "P", "", "ok", "req-cp"},
		{"DeleteOauth2CredentialProvider", "P", "", "ok", "req-cp"},
		{"CreateApiKeyCredentialProvider", "K", "", "ok", "req-cp"},
		{"UpdateApiKeyCredentialProvider", "K", "", "ok", "req-cp"},
		{"DeleteApiKeyCredentialProvider", "K", "", "ok", "req-cp"},
		{"CreateWorkloadIdentity", "", "wl-x", "ok", "req-cp"},
		{"UpdateWorkloadIdentity", "", "wl-x", "ok", "req-cp"},
		{"DeleteWorkloadIdentity", "", "wl-x", "ok", "req-cp"},
	}
	var got []row
	for _, ev := range evs {
		got = append(got, row{ev.Action, ev.Provider, ev.Workload, ev.Outcome, ev.RequestID})
		if s := fmt.Sprintf("%#v", ev); strings.Contains(s, secret) || strings.Contains(s, key) {
			t.Errorf("audit event holds a secret: %s", s)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit (-want +got):\n%s", diff)
	}
}

func TestWorkloadBoundCallersMayNotUseTheControlPlane(t *testing.T) {
	w := newCPWorld(t, nil)
	ctx := identity.WithCaller(context.Background(), identity.Caller{Workload: "some-agent"})
	errs := map[string]error{}
	_, errs["create provider"] = w.b.CreateOauth2CredentialProvider(ctx, customProvider("P", "https://idp.example/.well-known/openid-configuration", "s"))
	_, errs["list providers"] = w.b.ListOauth2CredentialProviders(ctx, identity.ListOauth2CredentialProvidersInput{})
	_, errs["get key"] = w.b.GetApiKeyCredentialProvider(ctx, identity.GetApiKeyCredentialProviderInput{Name: "K"})
	_, errs["delete key"] = w.b.DeleteApiKeyCredentialProvider(ctx, identity.DeleteApiKeyCredentialProviderInput{Name: "K"})
	_, errs["create workload"] = w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: "some-agent"})
	_, errs["update workload"] = w.b.UpdateWorkloadIdentity(ctx, identity.UpdateWorkloadIdentityInput{Name: "some-agent"})
	_, errs["token vault"] = w.b.GetTokenVault(ctx, identity.GetTokenVaultInput{})
	for name, err := range errs {
		if got := identity.ErrorType(err); got != identity.AccessDeniedException {
			t.Errorf("%s: error type %q, want AccessDeniedException", name, got)
		}
	}
	// An admin caller (no workload) may.
	admin := identity.WithCaller(context.Background(), identity.Caller{})
	if _, err := w.b.CreateWorkloadIdentity(admin, identity.CreateWorkloadIdentityInput{Name: "some-agent"}); err != nil {
		t.Errorf("admin create: %v", err)
	}
	evs, _ := w.st.ListAudit(context.Background(), store.AuditFilter{Action: "CreateWorkloadIdentity"})
	if len(evs) != 2 || evs[1].Outcome != identity.AccessDeniedException || evs[0].Outcome != "ok" {
		t.Errorf("audit = %+v", evs)
	}
}
