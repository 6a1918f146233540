package identity_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// fakeIdP is a scripted token endpoint for the grants the Entra emulator
// does not speak (RFC 8693, refresh) and for odd answers.
type fakeIdP struct {
	srv     *httptest.Server
	mu      sync.Mutex
	forms   []url.Values
	auths   []string // Authorization headers, one per token request
	respond func(n int, form url.Values) (status int, body string)
}

func newFakeIdP(t *testing.T, respond func(n int, form url.Values) (int, string)) *fakeIdP {
	t.Helper()
	f := &fakeIdP{respond: respond}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			fmt.Fprintf(w, `{"issuer":%q,"token_endpoint":%q}`, f.srv.URL, f.srv.URL+"/token")
		case "/token":
			r.ParseForm()
			f.mu.Lock()
			f.forms = append(f.forms, r.PostForm)
			f.auths = append(f.auths, r.Header.Get("Authorization"))
			n := len(f.forms)
			f.mu.Unlock()
			status, body := f.respond(n, r.PostForm)
			w.WriteHeader(status)
			io.WriteString(w, body)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeIdP) authHeaders() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.auths...)
}

func (f *fakeIdP) requests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.forms...)
}

func tokenJSON(access, refresh string, expiresIn int) string {
	s := fmt.Sprintf(`{"token_type":"Bearer","access_token":%q`, access)
	if refresh != "" {
		s += fmt.Sprintf(`,"refresh_token":%q`, refresh)
	}
	if expiresIn > 0 {
		s += fmt.Sprintf(`,"expires_in":%d`, expiresIn)
	}
	return s + "}"
}

// fakeUserToken is a JWT-shaped string the fake verifier accepts as user sub.
func fakeUserToken(sub string) string { return "hdr." + sub + ".sig" }

const fakeSecret = "fake-client-secret-value"

type fakeWorld struct {
	t      *testing.T
	clk    *clock
	idp    *fakeIdP
	st     store.Store
	broker *identity.Broker
}

// newFakeWorld builds a broker whose provider "Fake" points at a fakeIdP
// with the given OBO grant.
func newFakeWorld(t *testing.T, grant string, respond func(n int, form url.Values) (int, string), mod func(*identity.Config)) *fakeWorld {
	t.Helper()
	w := &fakeWorld{t: t, clk: &clock{now: time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)}}
	w.idp = newFakeIdP(t, respond)
	st, err := store.Open(context.Background(), "sqlite:"+t.TempDir()+"/onbehalf.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w.st = st
	kr, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	cfg := identity.Config{
		Store:   st,
		Keyring: kr,
		OAuth:   &oauth.Client{Now: w.clk.Now, RetryBackoff: time.Millisecond},
		VerifyUserToken: func(_ context.Context, raw string) (identity.UserClaims, error) {
			parts := strings.Split(raw, ".")
			if len(parts) != 3 || parts[0] != "hdr" {
				return identity.UserClaims{}, errors.New("not a user token")
			}
			return identity.UserClaims{Issuer: "https://fake-idp", Subject: parts[1], ExpiresAt: w.clk.Now().Add(time.Hour)}, nil
		},
		Providers: []identity.Oauth2CredentialProvider{{
			Name: "Fake", CredentialProviderVendor: identity.VendorCustomOauth2,
			DiscoveryURL: w.idp.srv.URL + "/.well-known/openid-configuration",
			ClientID:     "agent", ClientSecret: fakeSecret, OnBehalfOfGrantType: grant,
		}},
		Workloads: []identity.WorkloadIdentity{{Name: workload}},
		Now:       w.clk.Now,
	}
	if mod != nil {
		mod(&cfg)
	}
	w.broker, err = identity.New(cfg)
	if err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	return w
}

func (w *fakeWorld) wat(sub string) string {
	w.t.Helper()
	out, err := w.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken(sub)})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.WorkloadAccessToken
}

func (w *fakeWorld) get(in identity.GetResourceOauth2TokenInput) (string, error) {
	out, err := w.broker.GetResourceOauth2Token(context.Background(), in)
	return out.AccessToken, err
}

func TestTokenExchangeProviderSendsRFC8693Form(t *testing.T) {
	w := newFakeWorld(t, identity.GrantTokenExchange, func(int, url.Values) (int, string) {
		return 200, tokenJSON("TE-TOKEN", "", 3600)
	}, nil)
	in := obo(w.wat("jane"), "Fake", "write", "read")
	in.Audiences = []string{"servicenow"}
	in.Resources = []string{"https://sn.example/"}
	in.CustomParameters = map[string]string{"grant_type": "password", "subject_token": "FORGED", "tenant": "t1"}
	tok, err := w.get(in)
	if err != nil || tok != "TE-TOKEN" {
		t.Fatalf("got %q, %v", tok, err)
	}
	want := url.Values{
		"grant_type":         {oauth.GrantTypeTokenExchange},
		"subject_token":      {fakeUserToken("jane")},
		"subject_token_type": {oauth.TokenTypeJWT},
		"audience":           {"servicenow"},
		"resource":           {"https://sn.example/"},
		"scope":              {"read write"},
		"tenant":             {"t1"},
		"client_id":          {"agent"},
		"client_secret":      {fakeSecret},
	}
	if diff := cmp.Diff(want, w.idp.requests()[0]); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
}

func TestTokenExchangeSubjectTokenTypeComesFromCustomParameters(t *testing.T) {
	w := newFakeWorld(t, identity.GrantTokenExchange, func(int, url.Values) (int, string) {
		return 200, tokenJSON("TE-TOKEN", "", 3600)
	}, nil)
	in := obo(w.wat("jane"), "Fake", "read")
	in.CustomParameters = map[string]string{"subject_token_type": oauth.TokenTypeAccessToken}
	if _, err := w.get(in); err != nil {
		t.Fatal(err)
	}
	if got := w.idp.requests()[0]["subject_token_type"]; !cmp.Equal(got, []string{oauth.TokenTypeAccessToken}) {
		t.Errorf("subject_token_type = %q, want exactly one access_token type", got)
	}
}

func TestJWTAuthorizationGrantSendsOnBehalfOfAndCustomParamsNeverOverride(t *testing.T) {
	w := newFakeWorld(t, identity.GrantJWTAuthorization, func(int, url.Values) (int, string) {
		return 200, tokenJSON("JB-TOKEN", "", 3600)
	}, nil)
	in := obo(w.wat("jane"), "Fake", "read")
	in.CustomParameters = map[string]string{"assertion": "FORGED", "requested_token_use": "x", "client_secret": "other", "prompt": "none"}
	if _, err := w.get(in); err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"grant_type":          {oauth.GrantTypeJWTBearer},
		"assertion":           {fakeUserToken("jane")},
		"requested_token_use": {"on_behalf_of"},
		"scope":               {"read"},
		"prompt":              {"none"},
		"client_id":           {"agent"},
		"client_secret":       {fakeSecret},
	}
	if diff := cmp.Diff(want, w.idp.requests()[0]); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
}

func TestCustomParametersArePartOfTheVaultKey(t *testing.T) {
	w := newFakeWorld(t, identity.GrantJWTAuthorization, func(n int, _ url.Values) (int, string) {
		return 200, tokenJSON(fmt.Sprintf("T%d", n), "", 3600)
	}, nil)
	wat := w.wat("jane")
	a := obo(wat, "Fake", "read")
	a.CustomParameters = map[string]string{"tenant": "a"}
	b := obo(wat, "Fake", "read")
	b.CustomParameters = map[string]string{"tenant": "b"}
	ta, _ := w.get(a)
	tb, _ := w.get(b)
	ta2, _ := w.get(a)
	if ta != "T1" || tb != "T2" || ta2 != "T1" {
		t.Errorf("tokens = %s %s %s, want T1 T2 T1", ta, tb, ta2)
	}
}

func TestStoredRefreshTokenIsRedeemedNearExpiry(t *testing.T) {
	w := newFakeWorld(t, identity.GrantTokenExchange, func(n int, form url.Values) (int, string) {
		if form.Get("grant_type") == oauth.GrantTypeRefreshToken {
			return 200, tokenJSON(fmt.Sprintf("REFRESHED-%d", n), "", 600) // no new refresh token
		}
		return 200, tokenJSON("FIRST", "R1", 600)
	}, nil)
	wat := w.wat("jane")
	if tok, _ := w.get(obo(wat, "Fake", "read")); tok != "FIRST" {
		t.Fatalf("first = %q", tok)
	}
	w.clk.Advance(6 * time.Minute)
	if tok, _ := w.get(obo(wat, "Fake", "read")); tok != "REFRESHED-2" {
		t.Fatalf("after 6m = %q, want REFRESHED-2", tok)
	}
	w.clk.Advance(6 * time.Minute)
	if tok, _ := w.get(obo(wat, "Fake", "read")); tok != "REFRESHED-3" {
		t.Fatalf("after 12m = %q, want REFRESHED-3", tok)
	}
	reqs := w.idp.requests()
	for i, want := range []string{oauth.GrantTypeTokenExchange, oauth.GrantTypeRefreshToken, oauth.GrantTypeRefreshToken} {
		if got := reqs[i].Get("grant_type"); got != want {
			t.Errorf("request %d grant_type = %s, want %s", i, got, want)
		}
	}
	// The refresh token is kept when the refresh answer has none.
	if reqs[2].Get("refresh_token") != "R1" || reqs[2].Get("scope") != "read" {
		t.Errorf("second refresh sent refresh_token %q scope %q, want R1 read", reqs[2].Get("refresh_token"), reqs[2].Get("scope"))
	}
	evs, _ := w.st.ListAudit(context.Background(), store.AuditFilter{})
	if !strings.HasPrefix(evs[0].Detail, "refresh ") {
		t.Errorf("audit detail = %q, want refresh …", evs[0].Detail)
	}
}

func TestRefusedRefreshFallsBackToExchange(t *testing.T) {
	w := newFakeWorld(t, identity.GrantTokenExchange, func(n int, form url.Values) (int, string) {
		if form.Get("grant_type") == oauth.GrantTypeRefreshToken {
			return 400, `{"error":"invalid_grant","error_description":"refresh token revoked"}`
		}
		return 200, tokenJSON(fmt.Sprintf("EXCHANGED-%d", n), "R", 600)
	}, nil)
	wat := w.wat("jane")
	w.get(obo(wat, "Fake", "read"))
	w.clk.Advance(6 * time.Minute)
	tok, err := w.get(obo(wat, "Fake", "read"))
	if err != nil || tok != "EXCHANGED-3" {
		t.Fatalf("got %q, %v; want EXCHANGED-3 (exchange after the refused refresh)", tok, err)
	}
}

func TestForceAuthenticationDiscardsTheRefreshToken(t *testing.T) {
	w := newFakeWorld(t, identity.GrantTokenExchange, func(n int, form url.Values) (int, string) {
		return 200, tokenJSON(fmt.Sprintf("T%d", n), "R", 600)
	}, nil)
	wat := w.wat("jane")
	w.get(obo(wat, "Fake", "read"))
	in := obo(wat, "Fake", "read")
	in.ForceAuthentication = true
	if tok, _ := w.get(in); tok != "T2" {
		t.Fatalf("forced = %q, want T2", tok)
	}
	if g := w.idp.requests()[1].Get("grant_type"); g != oauth.GrantTypeTokenExchange {
		t.Errorf("forced call used %s, want a fresh token exchange", g)
	}
}

func TestInteractionRequiredKeepsTheClaimsChallenge(t *testing.T) {
	challenge := `{"access_token":{"capolids":{"essential":true,"values":["c1"]}}}`
	w := newFakeWorld(t, identity.GrantJWTAuthorization, func(int, url.Values) (int, string) {
		return 400, fmt.Sprintf(`{"error":"interaction_required","error_description":"AADSTS50079: Due to a configuration change made by your administrator, you must enroll in multi-factor authentication.\r\nTrace ID: x","error_codes":[50079],"claims":%q}`, challenge)
	}, nil)
	_, err := w.get(obo(w.wat("jane"), "Fake", "read"))
	ie := wantErr(t, err, identity.AccessDeniedException)
	if ie.OAuth == nil || ie.OAuth.Claims != challenge {
		t.Fatalf("OAuth = %+v, want the claims challenge", ie.OAuth)
	}
	if !strings.HasPrefix(ie.Message, "interaction required") || strings.Contains(ie.Message, "Trace ID") {
		t.Errorf("message = %q", ie.Message)
	}
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Code != "interaction_required" {
		t.Errorf("errors.As(*oauth.Error) = %v", oe)
	}
}

func TestIdPErrorsMapToAgentCoreTypes(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{400, `{"error":"invalid_grant","error_description":"AADSTS500133: Assertion is not within its valid time range."}`, identity.AccessDeniedException},
		{401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`, identity.InternalServerException},
		{400, `{"error":"invalid_scope","error_description":"bad scope"}`, identity.ValidationException},
		{400, `{"error":"access_denied"}`, identity.AccessDeniedException},
		{503, `{"error":"temporarily_unavailable"}`, identity.InternalServerException},
		{502, `<html>gateway</html>`, identity.InternalServerException},
		{200, `{"token_type":"Bearer"}`, identity.InternalServerException},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			w := newFakeWorld(t, identity.GrantJWTAuthorization, func(int, url.Values) (int, string) { return tt.status, tt.body }, nil)
			_, err := w.get(obo(w.wat("jane"), "Fake", "read"))
			ie := wantErr(t, err, tt.want)
			if strings.Contains(ie.Error(), fakeSecret) || strings.Contains(ie.Error(), fakeUserToken("jane")) {
				t.Errorf("error text leaks a secret: %q", ie.Error())
			}
		})
	}
}

func TestTokenWithoutExpiryIsNotCached(t *testing.T) {
	w := newFakeWorld(t, identity.GrantJWTAuthorization, func(n int, _ url.Values) (int, string) {
		return 200, tokenJSON(fmt.Sprintf("T%d", n), "", 0)
	}, nil)
	wat := w.wat("jane")
	a, _ := w.get(obo(wat, "Fake", "read"))
	b, _ := w.get(obo(wat, "Fake", "read"))
	if a != "T1" || b != "T2" {
		t.Errorf("tokens = %s %s, want T1 T2 (no expires_in: never served from the vault)", a, b)
	}
}

func TestCustomProviderWithoutOBOConfigRefusesOBO(t *testing.T) {
	w := newFakeWorld(t, "", func(int, url.Values) (int, string) { return 200, tokenJSON("T", "", 60) }, nil)
	_, err := w.get(obo(w.wat("jane"), "Fake", "read"))
	wantErr(t, err, identity.ValidationException)
	if n := len(w.idp.requests()); n != 0 {
		t.Errorf("IdP requests = %d, want 0", n)
	}
}

// failingAudit is a store whose audit log is down.
type failingAudit struct{ store.Store }

func (failingAudit) AppendAudit(context.Context, store.AuditEvent) (int64, error) {
	return 0, errors.New("disk full")
}

func (failingAudit) AppendAudits(context.Context, []store.AuditEvent) error {
	return errors.New("disk full")
}

// failingSpool is a store whose audit spool is down: the broker hands it
// each event directly (no group commit), and must still fail the call.
type failingSpool struct{ failingAudit }

func (failingSpool) SpoolsAudits() bool { return true }

func TestAuditFailureFailsTheCall(t *testing.T) {
	for name, wrap := range map[string]func(store.Store) store.Store{
		"group commit":  func(s store.Store) store.Store { return failingAudit{s} },
		"spooled store": func(s store.Store) store.Store { return failingSpool{failingAudit{s}} },
	} {
		t.Run(name, func(t *testing.T) {
			w := newFakeWorld(t, identity.GrantJWTAuthorization, func(int, url.Values) (int, string) { return 200, tokenJSON("T", "", 600) },
				func(c *identity.Config) { c.Store = wrap(c.Store) })
			_, err := w.broker.GetWorkloadAccessTokenForJWT(context.Background(), identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: workload, UserToken: fakeUserToken("jane")})
			ie := wantErr(t, err, identity.InternalServerException)
			if ie.Message != "cannot write the audit event" {
				t.Errorf("message = %q", ie.Message)
			}
		})
	}
}

func TestNewReportsEveryConfigProblemAtOnce(t *testing.T) {
	_, err := identity.New(identity.Config{
		Providers: []identity.Oauth2CredentialProvider{
			{Name: "bad name!", CredentialProviderVendor: "OktaOauth2"},
			{Name: "Ms", CredentialProviderVendor: identity.VendorMicrosoftOauth2, ClientID: "c", ClientSecret: "s", ClientAuthenticationMethod: "private_key_jwt"},
			{Name: "Ms", CredentialProviderVendor: identity.VendorCustomOauth2, DiscoveryURL: "https://idp/not-discovery", ClientID: "c", ClientSecret: "s", OnBehalfOfGrantType: "SAML"},
		},
		Workloads: []identity.WorkloadIdentity{{Name: "ab", AllowedProviders: []string{"Nope"}}},
	})
	if !errors.Is(err, identity.ErrInvalidConfig) {
		t.Fatalf("err = %v, want ErrInvalidConfig", err)
	}
	for _, want := range []string{
		"Store: required", "Keyring: required", "VerifyUserToken: required",
		"Providers[0].Name", "Providers[0].CredentialProviderVendor", "Providers[0].ClientID", "Providers[0].ClientSecret",
		"Providers[1].TenantID", "Providers[1].ClientAuthenticationMethod",
		"Providers[2].Name: \"Ms\" is used twice", "Providers[2].DiscoveryURL", "Providers[2].OnBehalfOfGrantType",
		"Workloads[0].Name", "Workloads[0].AllowedProviders[0]",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestStringersHideSecrets(t *testing.T) {
	p := identity.Oauth2CredentialProvider{Name: "X", ClientSecret: fakeSecret}
	in := identity.GetResourceOauth2TokenInput{WorkloadIdentityToken: "obwat1.SECRETWAT"}
	out := identity.GetResourceOauth2TokenOutput{AccessToken: "SECRETTOKEN"}
	win := identity.GetWorkloadAccessTokenForJWTInput{WorkloadName: "w", UserToken: "SECRETTOKEN"}
	wout := identity.GetWorkloadAccessTokenForJWTOutput{WorkloadAccessToken: "obwat1.SECRETWAT"}
	s := fmt.Sprintf("%v %+v %v %v %v %+v", p, p, in, out, win, wout)
	for _, secret := range []string{fakeSecret, "SECRETWAT", "SECRETTOKEN"} {
		if strings.Contains(s, secret) {
			t.Errorf("%q leaks %q", s, secret)
		}
	}
}
