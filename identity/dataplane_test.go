package identity_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// dataWorld is a cpWorld with one workload and provider "Fake" at a fake
// IdP answering every token request with T<n>.
func dataWorld(t *testing.T, grant string, mod func(*identity.CustomOauth2ProviderConfigInput)) (*cpWorld, *fakeIdP) {
	t.Helper()
	idp := newFakeIdP(t, func(n int, _ url.Values) (int, string) { return 200, tokenJSON(fmt.Sprintf("T%d", n), "", 600) })
	w := newCPWorld(t, nil)
	ctx := context.Background()
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: workload}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.CreateWorkloadIdentity(ctx, identity.CreateWorkloadIdentityInput{Name: restricted}); err != nil {
		t.Fatal(err)
	}
	in := customProvider("Fake", idp.srv.URL+"/.well-known/openid-configuration", fakeSecret)
	cc := in.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig
	cc.OnBehalfOfTokenExchangeConfig.GrantType = grant
	if mod != nil {
		mod(cc)
	}
	if _, err := w.b.CreateOauth2CredentialProvider(ctx, in); err != nil {
		t.Fatalf("create provider: %v", err)
	}
	return w, idp
}

func m2m(wat, provider string, scopes ...string) identity.GetResourceOauth2TokenInput {
	in := obo(wat, provider, scopes...)
	in.Oauth2Flow = identity.FlowM2M
	return in
}

func TestWorkloadOnlyWATServesM2MButNoUserFlow(t *testing.T) {
	w, idp := dataWorld(t, identity.GrantJWTAuthorization, nil)
	ctx := context.Background()
	out, err := w.b.GetWorkloadAccessToken(ctx, identity.GetWorkloadAccessTokenInput{WorkloadName: workload})
	if err != nil || !strings.HasPrefix(out.WorkloadAccessToken, "obwat1.") {
		t.Fatalf("GetWorkloadAccessToken = %v, %v", out, err)
	}
	tok, err := w.b.GetResourceOauth2Token(ctx, m2m(out.WorkloadAccessToken, "Fake", "api://x/.default"))
	if err != nil || tok.AccessToken != "T1" {
		t.Fatalf("M2M = %v, %v", tok, err)
	}
	if g := idp.requests()[0].Get("grant_type"); g != "client_credentials" {
		t.Errorf("grant_type = %s", g)
	}
	for _, flow := range []string{identity.FlowOnBehalfOf, identity.FlowUserFederation} {
		in := obo(out.WorkloadAccessToken, "Fake", "read")
		in.Oauth2Flow = flow
		_, err := w.b.GetResourceOauth2Token(ctx, in)
		ie := wantErr(t, err, identity.ValidationException)
		if !strings.Contains(ie.Message, "user") {
			t.Errorf("%s: message = %q, want it to say a user is needed", flow, ie.Message)
		}
	}
	if n := len(idp.requests()); n != 1 {
		t.Errorf("IdP requests = %d, want 1", n)
	}
	_, err = w.b.GetWorkloadAccessToken(ctx, identity.GetWorkloadAccessTokenInput{WorkloadName: "no-such-workload"})
	wantErr(t, err, identity.ResourceNotFoundException)
}

func TestUserIDWATNeedsTheCallersPermission(t *testing.T) {
	w, _ := dataWorld(t, identity.GrantJWTAuthorization, nil)
	in := identity.GetWorkloadAccessTokenForUserIdInput{WorkloadName: workload, UserID: "jane@corp"}
	for name, ctx := range map[string]context.Context{
		"no caller":         context.Background(),
		"caller without it": identity.WithCaller(context.Background(), identity.Caller{Workload: workload}),
	} {
		_, err := w.b.GetWorkloadAccessTokenForUserId(ctx, in)
		if got := identity.ErrorType(err); got != identity.AccessDeniedException {
			t.Errorf("%s: error type %q, want AccessDeniedException", name, got)
		}
	}
	ctx := identity.WithCaller(context.Background(), identity.Caller{AllowUserID: true})
	out, err := w.b.GetWorkloadAccessTokenForUserId(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	// No user token: OBO is impossible, M2M works.
	_, err = w.b.GetResourceOauth2Token(ctx, obo(out.WorkloadAccessToken, "Fake", "read"))
	ie := wantErr(t, err, identity.ValidationException)
	if !strings.Contains(ie.Message, "GetWorkloadAccessTokenForJWT") {
		t.Errorf("message = %q", ie.Message)
	}
	if _, err := w.b.GetResourceOauth2Token(ctx, m2m(out.WorkloadAccessToken, "Fake", "s")); err != nil {
		t.Errorf("M2M with a user-id WAT: %v", err)
	}
	evs, _ := w.st.ListAudit(context.Background(), store.AuditFilter{Action: "GetWorkloadAccessTokenForUserId", Limit: 10})
	if len(evs) != 3 || evs[0].Outcome != "ok" || evs[0].User != identity.UserIDIssuer+"|jane@corp" || evs[1].Outcome != identity.AccessDeniedException {
		t.Errorf("audit = %+v", evs)
	}
}

func TestCallerBoundToAWorkloadActsOnlyForIt(t *testing.T) {
	w, idp := dataWorld(t, identity.GrantJWTAuthorization, nil)
	ctx := context.Background()
	other, err := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: restricted, UserToken: fakeUserToken("jane")})
	if err != nil {
		t.Fatal(err)
	}
	bound := identity.WithCaller(ctx, identity.Caller{Workload: workload, AllowUserID: true})
	errs := map[string]error{}
	_, errs["WAT for JWT"] = w.b.GetWorkloadAccessTokenForJWT(bound, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: restricted, UserToken: fakeUserToken("jane")})
	_, errs["WAT"] = w.b.GetWorkloadAccessToken(bound, identity.GetWorkloadAccessTokenInput{WorkloadName: restricted})
	_, errs["WAT for user id"] = w.b.GetWorkloadAccessTokenForUserId(bound, identity.GetWorkloadAccessTokenForUserIdInput{WorkloadName: restricted, UserID: "u"})
	_, errs["resource token"] = w.b.GetResourceOauth2Token(bound, obo(other.WorkloadAccessToken, "Fake", "read"))
	_, errs["api key"] = w.b.GetResourceApiKey(bound, identity.GetResourceApiKeyInput{WorkloadIdentityToken: other.WorkloadAccessToken, ResourceCredentialProviderName: "Fake"})
	for name, err := range errs {
		if got := identity.ErrorType(err); got != identity.AccessDeniedException {
			t.Errorf("%s: error type %q (%v), want AccessDeniedException", name, got, err)
		}
	}
	if n := len(idp.requests()); n != 0 {
		t.Errorf("IdP requests = %d, want 0", n)
	}
	// Its own workload works.
	own, err := w.b.GetWorkloadAccessTokenForJWT(bound, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.b.GetResourceOauth2Token(bound, obo(own.WorkloadAccessToken, "Fake", "read")); err != nil {
		t.Errorf("own workload: %v", err)
	}
}

func TestTokenExchangeWithM2MActorSendsTheClientCredentialsTokenAsActor(t *testing.T) {
	w, idp := dataWorld(t, identity.GrantTokenExchange, func(c *identity.CustomOauth2ProviderConfigInput) {
		c.OnBehalfOfTokenExchangeConfig.TokenExchangeGrantTypeConfig = &identity.TokenExchangeGrantTypeConfig{ActorTokenContent: identity.ActorM2M, ActorTokenScopes: []string{"actor.scope"}}
	})
	ctx := context.Background()
	janeWAT, _ := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	bobWAT, _ := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("bob")})
	in := obo(janeWAT.WorkloadAccessToken, "Fake", "read")
	in.Audiences = []string{"servicenow"}
	if out, err := w.b.GetResourceOauth2Token(ctx, in); err != nil || out.AccessToken != "T2" {
		t.Fatalf("jane = %v, %v", out, err)
	}
	in.WorkloadIdentityToken = bobWAT.WorkloadAccessToken
	if out, err := w.b.GetResourceOauth2Token(ctx, in); err != nil || out.AccessToken != "T3" {
		t.Fatalf("bob = %v, %v", out, err)
	}
	reqs := idp.requests()
	if len(reqs) != 3 {
		t.Fatalf("IdP requests = %d, want 3 (one actor token, reused, and two exchanges)", len(reqs))
	}
	wantActor := url.Values{"grant_type": {"client_credentials"}, "scope": {"actor.scope"}, "client_id": {"agent"}, "client_secret": {fakeSecret}}
	if diff := cmp.Diff(wantActor, reqs[0]); diff != "" {
		t.Errorf("actor request (-want +got):\n%s", diff)
	}
	for i, user := range []string{"jane", "bob"} {
		want := url.Values{
			"grant_type": {oauth.GrantTypeTokenExchange}, "subject_token": {fakeUserToken(user)}, "subject_token_type": {oauth.TokenTypeJWT},
			"actor_token": {"T1"}, "actor_token_type": {oauth.TokenTypeAccessToken}, "audience": {"servicenow"}, "scope": {"read"},
			"client_id": {"agent"}, "client_secret": {fakeSecret},
		}
		if diff := cmp.Diff(want, reqs[i+1]); diff != "" {
			t.Errorf("exchange for %s (-want +got):\n%s", user, diff)
		}
	}
	evs, _ := w.st.ListAudit(ctx, store.AuditFilter{Action: "GetResourceOauth2Token", Limit: 10})
	if len(evs) != 2 || !strings.HasPrefix(evs[1].Detail, "idp call with m2m actor") {
		t.Errorf("audit = %+v", evs)
	}
}

func TestTokenExchangeActorAgainstTheEntraEmulatorPutsActInTokenB(t *testing.T) {
	e := newEnv(t, options{broker: func(c *identity.Config) {
		c.Providers = append(c.Providers, identity.Oauth2CredentialProvider{
			Name: "EntraExchange", CredentialProviderVendor: identity.VendorCustomOauth2,
			DiscoveryURL: c.Providers[0].DiscoveryURL, ClientID: entra.DevAgentClientID, ClientSecret: c.Providers[0].ClientSecret,
			OnBehalfOfGrantType: identity.GrantTokenExchange, ActorTokenContent: identity.ActorM2M,
			ActorTokenScopes: []string{"api://" + entra.DevConnectorClientID + "/.default"},
		})
		c.Workloads[0].AllowedProviders = append(c.Workloads[0].AllowedProviders, "EntraExchange")
	}})
	in := obo(e.wat(workload, jane), "EntraExchange", connectorScope)
	in.Audiences = []string{entra.DevConnectorClientID}
	tok := e.mustGet(in)
	c := claims(t, tok)
	if c["preferred_username"] != jane || c["aud"] != entra.DevConnectorClientID {
		t.Fatalf("Token B = aud %v user %v", c["aud"], c["preferred_username"])
	}
	act, _ := c["act"].(map[string]any)
	if act == nil || act["client_id"] != entra.DevAgentClientID {
		t.Errorf("act = %v, want the agent app as actor", c["act"])
	}
	if n := e.idp.TokenRequests(entra.GrantTokenExchange); n != 1 {
		t.Errorf("token-exchange requests = %d, want 1", n)
	}
	if n := e.idp.TokenRequests(entra.GrantClientCredentials); n != 1 {
		t.Errorf("client_credentials (actor) requests = %d, want 1", n)
	}
}

func TestPrivateKeyJWTAssertionVerifiesWithThePublishedJWKS(t *testing.T) {
	for _, alg := range []string{"", "ES256", "PS256"} {
		t.Run("alg="+alg, func(t *testing.T) {
			w, idp := dataWorld(t, identity.GrantJWTAuthorization, func(c *identity.CustomOauth2ProviderConfigInput) {
				c.ClientSecret = ""
				c.ClientAuthenticationMethod = identity.AuthPrivateKeyJWT
				if alg != "" {
					c.PrivateKeyJwtConfig = &identity.PrivateKeyJwtConfig{SigningAlgorithm: alg, AdditionalPayloadClaims: map[string]string{"tenant": "t1"}}
				}
			})
			jwks := httptest.NewServer(w.b.JWKSHandler())
			defer jwks.Close()
			ctx := context.Background()
			wat, _ := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
			if _, err := w.b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "Fake", "read")); err != nil {
				t.Fatal(err)
			}
			form := idp.requests()[0]
			if form.Has("client_secret") || form.Get("client_assertion_type") != oauth.ClientAssertionType {
				t.Fatalf("form = %v", form)
			}
			resp, err := http.Get(jwks.URL + "/identities/oauth2/jwks/Fake")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
				t.Fatalf("JWKS = %d %s", resp.StatusCode, body)
			}
			kf, err := keyfunc.NewJWKSetJSON(body)
			if err != nil {
				t.Fatal(err)
			}
			want := alg
			if want == "" {
				want = "RS256"
			}
			var c jwt.MapClaims
			_, err = jwt.ParseWithClaims(form.Get("client_assertion"), &c, kf.Keyfunc, jwt.WithValidMethods([]string{want}),
				jwt.WithAudience(idp.srv.URL+"/token"), jwt.WithIssuer("agent"), jwt.WithSubject("agent"), jwt.WithTimeFunc(w.clk.Now))
			if err != nil {
				t.Fatalf("assertion does not verify with the published key set: %v", err)
			}
			if alg != "" && c["tenant"] != "t1" {
				t.Errorf("additional claim tenant = %v", c["tenant"])
			}
			if strings.Contains(string(body), `"d"`) {
				t.Error("the JWKS holds private key material")
			}
			for _, path := range []string{"/Nope", "/bad%20name"} {
				if r, _ := http.Get(jwks.URL + path); r.StatusCode != 404 {
					t.Errorf("%s = %d, want 404", path, r.StatusCode)
				}
			}
		})
	}
}

func TestPrivateKeyFromPEMIsUsedAndKeptAcrossUpdates(t *testing.T) {
	pemKey := mustGeneratePEM(t)
	w, _ := dataWorld(t, identity.GrantJWTAuthorization, func(c *identity.CustomOauth2ProviderConfigInput) {
		c.ClientSecret = ""
		c.ClientAuthenticationMethod = identity.AuthPrivateKeyJWT
		c.PrivateKeyPEM = pemKey
	})
	jwks := httptest.NewServer(w.b.JWKSHandler())
	defer jwks.Close()
	kid := func() string {
		resp, err := http.Get(jwks.URL + "/Fake")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	before := kid()
	// Update without a key keeps the stored one.
	up := customProvider("Fake", "https://idp.example/.well-known/openid-configuration", "")
	up.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig.ClientAuthenticationMethod = identity.AuthPrivateKeyJWT
	if _, err := w.b.UpdateOauth2CredentialProvider(context.Background(), toUpdate(up)); err != nil {
		t.Fatal(err)
	}
	if after := kid(); after != before || !strings.Contains(before, `"kty":"RSA"`) {
		t.Errorf("JWKS changed across an update without a key:\n%s\n%s", before, after)
	}
}

func TestExplicitServerMetadataNeedsNoDiscovery(t *testing.T) {
	var mu sync.Mutex
	paths := []string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		io.WriteString(w, tokenJSON("META-TOKEN", "", 600))
	}))
	defer srv.Close()
	w, _ := dataWorld(t, identity.GrantJWTAuthorization, func(c *identity.CustomOauth2ProviderConfigInput) {
		c.OauthDiscovery = identity.Oauth2Discovery{AuthorizationServerMetadata: &identity.Oauth2AuthorizationServerMetadata{
			Issuer: srv.URL, AuthorizationEndpoint: srv.URL + "/authorize", TokenEndpoint: srv.URL + "/oauth/token"}}
	})
	ctx := context.Background()
	wat, _ := w.b.GetWorkloadAccessTokenForJWT(ctx, identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
	out, err := w.b.GetResourceOauth2Token(ctx, obo(wat.WorkloadAccessToken, "Fake", "read"))
	if err != nil || out.AccessToken != "META-TOKEN" {
		t.Fatalf("got %v, %v", out, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"/oauth/token"}, paths); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
}

func TestResourceTokenInputValidationNamesMembers(t *testing.T) {
	w, _ := dataWorld(t, identity.GrantJWTAuthorization, nil)
	_, err := w.b.GetResourceOauth2Token(context.Background(), identity.GetResourceOauth2TokenInput{
		ResourceCredentialProviderName: "bad name", Oauth2Flow: "IMPLICIT",
		CustomParameters: map[string]string{"bad key!": "v"}, SessionURI: "https://not-a-request-uri",
		Audiences: []string{""}, ResourceOauth2ReturnURL: "not a url",
	})
	want := []string{"audiences.1", "customParameters", "oauth2Flow", "resourceCredentialProviderName", "resourceOauth2ReturnUrl", "scopes", "sessionUri", "workloadIdentityToken"}
	if diff := cmp.Diff(want, fieldNames(t, err)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
