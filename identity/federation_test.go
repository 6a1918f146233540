package identity_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/store"
)

const returnURL = "https://app.example/oauth/done"

// fedEnv is an env whose broker serves its OAuth2 callback on loopback,
// registered as a web redirect URI of the agent app at the emulator.
type fedEnv struct {
	*env
	callback *httptest.Server
	tenant   *entratest.Tenant
}

func newFedEnv(t *testing.T, opt options) *fedEnv {
	t.Helper()
	cb := httptest.NewUnstartedServer(nil)
	base := "http://" + cb.Listener.Addr().String()
	userBroker := opt.broker
	opt.broker = func(c *identity.Config) {
		c.CallbackBaseURL = base
		c.Workloads[0].AllowedResourceOauth2ReturnURLs = []string{returnURL}
		if userBroker != nil {
			userBroker(c)
		}
	}
	opt.entra = func(c *entra.Config) {
		for i := range c.Apps {
			if c.Apps[i].ClientID == entra.DevAgentClientID {
				c.Apps[i].RedirectURIs = append(c.Apps[i].RedirectURIs, base+identity.CallbackPath)
			}
		}
	}
	e := newEnv(t, opt)
	mux := http.NewServeMux()
	mux.Handle(identity.CallbackPath, e.broker.CallbackHandler())
	cb.Config.Handler = mux
	cb.Start()
	t.Cleanup(cb.Close)
	tenant := &entratest.Tenant{Server: e.idp, AgentSecret: e.agentSecret, UserPassword: e.userPassword}
	return &fedEnv{env: e, callback: cb, tenant: tenant}
}

func federation(wat string, scopes ...string) identity.GetResourceOauth2TokenInput {
	in := obo(wat, providerMS, scopes...)
	in.Oauth2Flow = identity.FlowUserFederation
	in.ResourceOauth2ReturnURL = returnURL
	return in
}

// follow opens the IdP's redirect to the broker's callback like a browser
// (without following the callback's own redirect) and returns where the
// callback sends the browser, or its status and page.
func (f *fedEnv) follow(loc *url.URL) (*url.URL, int, string) {
	f.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(loc.String())
	if err != nil {
		f.t.Fatalf("callback: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if l := resp.Header.Get("Location"); l != "" {
		u, err := url.Parse(l)
		if err != nil {
			f.t.Fatal(err)
		}
		return u, resp.StatusCode, string(body)
	}
	return nil, resp.StatusCode, string(body)
}

// start asks for a USER_FEDERATION token the user does not have yet.
func (f *fedEnv) start(in identity.GetResourceOauth2TokenInput) identity.GetResourceOauth2TokenOutput {
	f.t.Helper()
	out, err := f.broker.GetResourceOauth2Token(context.Background(), in)
	if err != nil {
		f.t.Fatalf("USER_FEDERATION start: %v", err)
	}
	if out.AccessToken != "" || out.SessionStatus != identity.SessionInProgress || !strings.HasPrefix(out.SessionURI, "urn:ietf:params:oauth:request_uri:") {
		f.t.Fatalf("start = %v, want IN_PROGRESS with a sessionUri", out)
	}
	return out
}

func (f *fedEnv) complete(sessionURI, userToken string) error {
	_, err := f.broker.CompleteResourceTokenAuth(context.Background(), identity.CompleteResourceTokenAuthInput{
		SessionURI: sessionURI, UserIdentifier: identity.UserIdentifier{UserToken: userToken}})
	return err
}

func TestUserFederationEndToEndWithSessionBinding(t *testing.T) {
	f := newFedEnv(t, options{})
	janeA := f.tokenA(jane)
	wat := f.wat(workload, jane)
	in := federation(wat, connectorScope, "offline_access")
	in.CustomState = "app-csrf-123"
	in.CustomParameters = map[string]string{"login_hint": jane, "state": "forged"}
	out := f.start(in)

	au, err := url.Parse(out.AuthorizationURL)
	if err != nil || !strings.HasPrefix(out.AuthorizationURL, f.idp.AuthorizeURL()) {
		t.Fatalf("authorizationUrl = %q", out.AuthorizationURL)
	}
	q := au.Query()
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("response_type") != "code" ||
		q.Get("redirect_uri") != f.broker.CallbackURL() || q.Get("client_id") != entra.DevAgentClientID ||
		q.Get("login_hint") != jane || q.Get("scope") != "api://"+entra.DevConnectorClientID+"/user_impersonation offline_access" {
		t.Errorf("authorization request = %v", q)
	}
	sessionID := strings.TrimPrefix(out.SessionURI, "urn:ietf:params:oauth:request_uri:")
	if st := q.Get("state"); !strings.HasPrefix(st, sessionID+".") || len(st) < len(sessionID)+20 {
		t.Errorf("state = %q, want the session id and a secret (custom parameters never replace it)", st)
	}

	// Polling before the user signed in: still in progress, same URL.
	poll := in
	poll.SessionURI = out.SessionURI
	again, err := f.broker.GetResourceOauth2Token(context.Background(), poll)
	if err != nil || again.SessionStatus != identity.SessionInProgress || again.AuthorizationURL != out.AuthorizationURL || again.SessionURI != out.SessionURI {
		t.Errorf("poll before sign-in = %v, %v", again, err)
	}
	if err := f.complete(out.SessionURI, janeA); identity.ErrorType(err) != identity.ValidationException {
		t.Errorf("Complete before sign-in: %v, want ValidationException", err)
	}

	back, status, page := f.follow(f.tenant.SignIn(t, out.AuthorizationURL, jane, false))
	if back == nil || status != http.StatusFound {
		t.Fatalf("callback = %d %s, want a redirect to the return URL", status, page)
	}
	if got := back.Scheme + "://" + back.Host + back.Path; got != returnURL || back.Query().Get("session_id") != out.SessionURI || back.Query().Get("state") != "app-csrf-123" {
		t.Errorf("return redirect = %s", back)
	}
	// Signed in, not yet completed: no token yet.
	if r, _ := f.broker.GetResourceOauth2Token(context.Background(), poll); r.AccessToken != "" || r.SessionStatus != identity.SessionInProgress {
		t.Errorf("before Complete = %v, want still IN_PROGRESS", r)
	}
	if err := f.complete(out.SessionURI, janeA); err != nil {
		t.Fatalf("Complete by jane: %v", err)
	}
	if err := f.complete(out.SessionURI, janeA); err != nil {
		t.Errorf("second Complete: %v, want a no-op", err)
	}
	got, err := f.broker.GetResourceOauth2Token(context.Background(), poll)
	if err != nil || got.AccessToken == "" {
		t.Fatalf("after Complete = %v, %v", got, err)
	}
	f.remember(got.AccessToken)
	c := claims(t, got.AccessToken)
	if c["preferred_username"] != jane || c["aud"] != entra.DevConnectorClientID {
		t.Errorf("token = aud %v user %v", c["aud"], c["preferred_username"])
	}
	// Without the sessionUri too: the vault answers.
	if r, err := f.broker.GetResourceOauth2Token(context.Background(), in); err != nil || r.AccessToken != got.AccessToken {
		t.Errorf("vault hit = %v, %v", r, err)
	}
	if n := f.idp.TokenRequests(entra.GrantAuthorizationCode); n != 1 {
		t.Errorf("authorization_code requests = %d, want 1", n)
	}

	// The stored refresh token is used when the access token nears expiry.
	f.clk.Advance(56 * time.Minute)
	in.WorkloadIdentityToken = f.wat(workload, jane)
	refreshed, err := f.broker.GetResourceOauth2Token(context.Background(), in)
	if err != nil || refreshed.AccessToken == "" || refreshed.AccessToken == got.AccessToken {
		t.Fatalf("after 56 minutes = %v, %v; want a refreshed token", refreshed, err)
	}
	f.remember(refreshed.AccessToken)
	if n := f.idp.TokenRequests(entra.GrantRefreshToken); n != 1 {
		t.Errorf("refresh requests = %d, want 1", n)
	}

	actions := map[string]string{}
	evs, _ := f.store.ListAudit(context.Background(), store.AuditFilter{Flow: identity.FlowUserFederation, Limit: 100})
	for _, ev := range evs {
		if ev.Action == "OAuth2Callback" || ev.Action == "CompleteResourceTokenAuth" {
			actions[ev.Action+" "+ev.Outcome] = ev.User
		}
	}
	user := f.idp.Issuer() + "|"
	for _, k := range []string{"OAuth2Callback ok", "CompleteResourceTokenAuth ok", "CompleteResourceTokenAuth ValidationException"} {
		if u, ok := actions[k]; !ok || !strings.HasPrefix(u, user) {
			t.Errorf("audit lacks %q for jane (have %v)", k, actions)
		}
	}
}

func TestForwardedAuthorizationLinkNeverGivesTheStarterAnotherUsersAccount(t *testing.T) {
	f := newFedEnv(t, options{})
	wat := f.wat(workload, jane)
	out := f.start(federation(wat, connectorScope))
	// Jane sends her link to Bob, who signs in with his own account.
	back, _, _ := f.follow(f.tenant.SignIn(t, out.AuthorizationURL, bob, false))
	if back == nil || back.Query().Get("session_id") != out.SessionURI {
		t.Fatalf("callback did not redirect back: %v", back)
	}
	// The application at the return URL has Bob signed in.
	err := f.complete(out.SessionURI, f.tokenA(bob))
	ie := wantErr(t, err, identity.AccessDeniedException)
	if !strings.Contains(ie.Message, "another user") {
		t.Errorf("message = %q", ie.Message)
	}
	poll := federation(wat, connectorScope)
	poll.SessionURI = out.SessionURI
	r, err := f.broker.GetResourceOauth2Token(context.Background(), poll)
	if err != nil || r.AccessToken != "" {
		t.Errorf("jane got %v, %v; want no token", r, err)
	}
	// A bare user id is refused without the caller's permission.
	_, err = f.broker.CompleteResourceTokenAuth(context.Background(), identity.CompleteResourceTokenAuthInput{SessionURI: out.SessionURI, UserIdentifier: identity.UserIdentifier{UserID: "jane"}})
	wantErr(t, err, identity.AccessDeniedException)
	// Bob's WAT cannot poll Jane's session either.
	poll.WorkloadIdentityToken = f.wat(workload, bob)
	_, err = f.broker.GetResourceOauth2Token(context.Background(), poll)
	wantErr(t, err, identity.AccessDeniedException)
}

func TestUserFederationReturnURLMustBeAllowed(t *testing.T) {
	f := newFedEnv(t, options{})
	in := federation(f.wat(workload, jane), connectorScope)
	in.ResourceOauth2ReturnURL = "https://evil.example/steal"
	_, err := f.broker.GetResourceOauth2Token(context.Background(), in)
	if names := fieldNames(t, err); len(names) != 1 || names[0] != "resourceOauth2ReturnUrl" {
		t.Errorf("fields = %v", names)
	}
	in.ResourceOauth2ReturnURL = ""
	_, err = f.broker.GetResourceOauth2Token(context.Background(), in)
	if names := fieldNames(t, err); len(names) != 1 || names[0] != "resourceOauth2ReturnUrl" {
		t.Errorf("fields = %v", names)
	}
}

func TestCallbackRefusesUnknownForgedAndReplayedState(t *testing.T) {
	f := newFedEnv(t, options{})
	out := f.start(federation(f.wat(workload, jane), connectorScope))
	loc := f.tenant.SignIn(t, out.AuthorizationURL, jane, false)
	good := loc.Query()

	forged := *loc
	q := loc.Query()
	q.Set("state", strings.Split(good.Get("state"), ".")[0]+".not-the-secret")
	forged.RawQuery = q.Encode()
	unknown := *loc
	q = loc.Query()
	q.Set("state", "nosuchsession.secret")
	unknown.RawQuery = q.Encode()
	for name, u := range map[string]*url.URL{"forged": &forged, "unknown": &unknown} {
		if back, status, page := f.follow(u); back != nil || status != http.StatusBadRequest || !strings.Contains(page, "invalid") {
			t.Errorf("%s state: %v %d", name, back, status)
		}
	}
	if back, status, _ := f.follow(loc); back == nil || status != http.StatusFound {
		t.Fatalf("genuine callback: %d", status)
	}
	if back, status, page := f.follow(loc); back != nil || status != http.StatusBadRequest {
		t.Errorf("replayed callback: %v %d %s", back, status, page)
	}
	if strings.Contains(loc.RawQuery, "code=") {
		if n := f.idp.TokenRequests(entra.GrantAuthorizationCode); n != 1 {
			t.Errorf("authorization_code requests = %d, want 1 (forged and replayed callbacks redeem nothing)", n)
		}
	}
}

func TestIdPErrorAtTheCallbackFailsTheSession(t *testing.T) {
	f := newFedEnv(t, options{})
	wat := f.wat(workload, jane)
	out := f.start(federation(wat, connectorScope))
	loc := f.tenant.SignIn(t, out.AuthorizationURL, jane, false)
	q := url.Values{"state": {loc.Query().Get("state")}, "error": {"access_denied"}, "error_description": {"AADSTS65004: User declined to consent."}}
	cb, _ := url.Parse(f.broker.CallbackURL() + "?" + q.Encode())
	back, status, _ := f.follow(cb)
	if back == nil || status != http.StatusFound || back.Query().Get("error") != "access_denied" || back.Query().Get("session_id") != out.SessionURI {
		t.Fatalf("callback = %v %d", back, status)
	}
	poll := federation(wat, connectorScope)
	poll.SessionURI = out.SessionURI
	r, err := f.broker.GetResourceOauth2Token(context.Background(), poll)
	if err != nil || r.SessionStatus != identity.SessionFailed || r.AccessToken != "" || r.SessionURI != out.SessionURI {
		t.Errorf("poll = %v, %v; want FAILED", r, err)
	}
	err = f.complete(out.SessionURI, f.tokenA(jane))
	if ie := wantErr(t, err, identity.ValidationException); !strings.Contains(ie.Message, "access_denied") {
		t.Errorf("message = %q", ie.Message)
	}
}

func TestForceAuthenticationStartsANewAuthorization(t *testing.T) {
	f := newFedEnv(t, options{})
	wat := f.wat(workload, jane)
	out := f.start(federation(wat, connectorScope))
	f.follow(f.tenant.SignIn(t, out.AuthorizationURL, jane, false))
	if err := f.complete(out.SessionURI, f.tokenA(jane)); err != nil {
		t.Fatal(err)
	}
	forced := federation(wat, connectorScope)
	forced.ForceAuthentication = true
	again := f.start(forced)
	if again.SessionURI == out.SessionURI {
		t.Error("forceAuthentication reused the completed session")
	}
}

func TestUserFederationWithoutCallbackBaseURLIsRefused(t *testing.T) {
	e := newEnv(t, options{broker: func(c *identity.Config) { c.Workloads[0].AllowedResourceOauth2ReturnURLs = []string{returnURL} }})
	_, err := e.broker.GetResourceOauth2Token(context.Background(), federation(e.wat(workload, jane), connectorScope))
	ie := wantErr(t, err, identity.ValidationException)
	if !strings.Contains(ie.Message, "CallbackBaseURL") {
		t.Errorf("message = %q", ie.Message)
	}
}

// CompleteResourceTokenAuth verifies the user token for the workload that
// started the session, even when the caller (an admin key) is bound to no
// workload.
func TestCompleteVerifiesTheUserTokenForTheSessionsWorkload(t *testing.T) {
	var asked []string
	f := newFedEnv(t, options{broker: func(c *identity.Config) {
		verify := c.VerifyUserToken
		c.VerifyUserTokenFor = func(ctx context.Context, wl, raw string) (identity.UserClaims, error) {
			asked = append(asked, wl)
			return verify(ctx, raw)
		}
	}})
	out := f.start(federation(f.wat(workload, jane), connectorScope))
	asked = nil
	if err := f.complete(out.SessionURI, f.tokenA(jane)); identity.ErrorType(err) != identity.ValidationException {
		t.Fatalf("Complete before sign-in: %v, want ValidationException (the user has not signed in)", err)
	}
	if len(asked) != 1 || asked[0] != workload {
		t.Errorf("the user token was verified for %q, want the session's workload %q", asked, workload)
	}
}
