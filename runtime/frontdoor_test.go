package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/trace"
)

// fakeBroker records the user tokens it is given and issues marked WATs.
type fakeBroker struct {
	mu   sync.Mutex
	seen []string
}

func (b *fakeBroker) GetWorkloadAccessTokenForJWT(ctx context.Context, in identity.GetWorkloadAccessTokenForJWTInput) (identity.GetWorkloadAccessTokenForJWTOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seen = append(b.seen, in.UserToken)
	return identity.GetWorkloadAccessTokenForJWTOutput{WorkloadAccessToken: "wat-for-" + in.WorkloadName}, nil
}

// agentSpy records what reached the agent.
type agentSpy struct {
	mu   sync.Mutex
	reqs []*http.Request
	hops []trace.Hop
}

func (a *agentSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.reqs = append(a.reqs, r)
	trace.Attach(r.Context(), func(h trace.Hop) { a.hops = append(a.hops, h) })
	a.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

type fixture struct {
	door   *FrontDoor
	spy    *agentSpy
	broker *fakeBroker
	now    time.Time
	tokens map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	idp, err := entra.New(entra.DevConfig(base, "agent-secret", "user-pass"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: idp}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	az, err := authorizer.New(ctx, authorizer.Config{
		DiscoveryURL:     idp.DiscoveryURL(),
		AllowedAudiences: []string{entra.DevAgentClientID},
		AllowedClients:   []string{entra.DevAgentClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(az.Close)
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "rt.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	f := &fixture{spy: &agentSpy{}, broker: &fakeBroker{}, now: time.Now(), tokens: map[string]string{}}
	f.door = &FrontDoor{
		Verifier: az, Identity: f.broker, WorkloadName: "servicenow-agent-workload", AgentName: "servicenow",
		Sessions: st, Agent: f.spy, Now: func() time.Time { return f.now },
	}
	oc := &oauth.Client{}
	for _, u := range []string{"jane.smith@company.com", "bob.jones@company.com"} {
		tok, err := oc.Password(ctx, idp.TokenURL(), oauth.ClientAuth{ClientID: entra.DevAgentClientID, ClientSecret: "agent-secret"},
			u, "user-pass", []string{"api://" + entra.DevAgentClientID + "/access_as_user"})
		if err != nil {
			t.Fatalf("token for %s: %v", u, err)
		}
		f.tokens[u] = tok.AccessToken
	}
	return f
}

func (f *fixture) invoke(user, session string) *httptest.ResponseRecorder {
	return f.serve(f.door, http.MethodPost, "/invocations", user, session)
}

// serve sends h a prompt as user (none if "") in session (new if "").
func (f *fixture) serve(h http.Handler, method, target, user, session string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(`{"prompt":"hi"}`))
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[user])
	}
	req.Header.Set("Cookie", "sid=abc")
	if session != "" {
		req.Header.Set(HeaderSessionID, session)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestFrontDoorRefusesMissingTokensBeforeTheAgent(t *testing.T) {
	f := newFixture(t)
	rec := f.invoke("", "")
	if rec.Code != http.StatusUnauthorized || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), "Bearer ") {
		t.Fatalf("status %d, WWW-Authenticate %q; want 401 with a Bearer challenge", rec.Code, rec.Header().Get("WWW-Authenticate"))
	}
	if len(f.spy.reqs) != 0 || len(f.broker.seen) != 0 {
		t.Errorf("agent saw %d requests and broker %d; want none", len(f.spy.reqs), len(f.broker.seen))
	}
}

func TestFrontDoorGivesTheAgentAWorkloadTokenNeverTokenA(t *testing.T) {
	f := newFixture(t)
	rec := f.invoke("jane.smith@company.com", "")
	if rec.Code != http.StatusOK || len(f.spy.reqs) != 1 {
		t.Fatalf("status %d, agent requests %d; want 200 and 1", rec.Code, len(f.spy.reqs))
	}
	got := f.spy.reqs[0].Header
	if got.Get("Authorization") != "" || got.Get("Cookie") != "" {
		t.Errorf("agent received Authorization %q / Cookie %q; want neither", got.Get("Authorization"), got.Get("Cookie"))
	}
	if got.Get(HeaderWorkloadAccessToken) != "wat-for-servicenow-agent-workload" || got.Get(HeaderWorkloadAccessTokenNewer) != "wat-for-servicenow-agent-workload" {
		t.Errorf("agent's workload token headers = %q / %q", got.Get(HeaderWorkloadAccessToken), got.Get(HeaderWorkloadAccessTokenNewer))
	}
	if u := got.Get(HeaderUserID); !strings.HasSuffix(u, "/v2.0|"+janeSub(t, f)) {
		t.Errorf("user id header = %q", got.Get(HeaderUserID))
	}
	sid := rec.Header().Get(HeaderSessionID)
	if len(sid) < minSessionIDLen || got.Get(HeaderSessionID) != sid {
		t.Errorf("session id %q (agent saw %q); want a new id of at least %d chars passed to the agent", sid, got.Get(HeaderSessionID), minSessionIDLen)
	}
	if len(f.spy.hops) != 2 || f.spy.hops[0].Hop != trace.HopTokenAccepted || !strings.HasSuffix(f.spy.hops[0].Detail, "user jane.smith@company.com") ||
		f.spy.hops[1].Hop != trace.HopWorkloadToken {
		t.Errorf("trace hops = %+v, want token accepted for jane, then workload token", f.spy.hops)
	}
	if len(f.broker.seen) != 1 || f.broker.seen[0] != f.tokens["jane.smith@company.com"] {
		t.Error("the broker was not asked with Jane's token")
	}
}

func TestFrontDoorKeepsSessionsToTheirOwner(t *testing.T) {
	f := newFixture(t)
	sid := "session-" + strings.Repeat("a", 32)
	if rec := f.invoke("jane.smith@company.com", sid); rec.Code != http.StatusOK {
		t.Fatalf("Jane opening %s: %d %s", sid, rec.Code, rec.Body)
	}
	rec := f.invoke("bob.jones@company.com", sid)
	if rec.Code != http.StatusForbidden || rec.Header().Get("X-Amzn-ErrorType") != "AccessDeniedException" {
		t.Fatalf("Bob presenting Jane's session: %d %s, want 403 AccessDeniedException", rec.Code, rec.Body)
	}
	if len(f.spy.reqs) != 1 {
		t.Errorf("agent saw %d requests, want only Jane's", len(f.spy.reqs))
	}
	if rec := f.invoke("jane.smith@company.com", sid); rec.Code != http.StatusOK {
		t.Errorf("Jane continuing her session: %d %s", rec.Code, rec.Body)
	}
}

func TestFrontDoorExpiresIdleAndOldSessions(t *testing.T) {
	f := newFixture(t)
	idle := "session-" + strings.Repeat("b", 32)
	if rec := f.invoke("jane.smith@company.com", idle); rec.Code != http.StatusOK {
		t.Fatalf("open: %d", rec.Code)
	}
	f.now = f.now.Add(DefaultSessionIdleTimeout + time.Second)
	rec := f.invoke("jane.smith@company.com", idle)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusNotFound || !strings.Contains(string(body), "expired") {
		t.Fatalf("idle session: %d %s, want 404 saying it expired", rec.Code, body)
	}

	old := "session-" + strings.Repeat("c", 32)
	if rec := f.invoke("jane.smith@company.com", old); rec.Code != http.StatusOK {
		t.Fatalf("open: %d", rec.Code)
	}
	for i := 0; i < 40; i++ { // active every 14 minutes, past 8 hours
		f.now = f.now.Add(14 * time.Minute)
		if rec := f.invoke("jane.smith@company.com", old); rec.Code != http.StatusOK {
			if i*14 < 8*60-14 {
				t.Fatalf("session refused after %d minutes: %d", (i+1)*14, rec.Code)
			}
			return
		}
	}
	t.Error("a session stayed usable for more than 9 hours")
}

// Sessions expired for over a day are deleted with their conversations;
// one expired for less still answers "expired".
func TestFrontDoorPurgesLongExpiredSessions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	longGone := "session-" + strings.Repeat("p", 32)
	recent := "session-" + strings.Repeat("q", 32)
	if rec := f.invoke("jane.smith@company.com", longGone); rec.Code != http.StatusOK {
		t.Fatalf("open: %d", rec.Code)
	}
	f.door.WaitSweeps()
	f.now = f.now.Add(DefaultSessionIdleTimeout + sessionPurgeGrace + time.Hour)
	if rec := f.invoke("jane.smith@company.com", recent); rec.Code != http.StatusOK {
		t.Fatalf("open: %d", rec.Code)
	}
	f.door.WaitSweeps()
	if _, err := f.door.Sessions.GetSession(ctx, longGone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session expired for over a day is still stored: %v", err)
	}
	// recent expires now, and is within the grace at the next sweep.
	f.now = f.now.Add(DefaultSessionIdleTimeout + sessionSweepEvery + time.Minute)
	rec := f.invoke("jane.smith@company.com", recent)
	f.door.WaitSweeps()
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "expired") {
		t.Errorf("a session expired minutes ago: %d %s, want 404 saying it expired", rec.Code, rec.Body)
	}
	if _, err := f.door.Sessions.GetSession(ctx, recent); err != nil {
		t.Errorf("a session expired minutes ago was purged: %v", err)
	}
}

func TestFrontDoorRejectsMalformedSessionIDs(t *testing.T) {
	f := newFixture(t)
	for _, sid := range []string{"short", strings.Repeat("x", 257), "session-" + strings.Repeat("d", 30) + " x"} {
		if rec := f.invoke("jane.smith@company.com", sid); rec.Code != http.StatusBadRequest {
			t.Errorf("session id %q: status %d, want 400", sid, rec.Code)
		}
	}
}

// janeSub is the sub claim of Jane's Token A.
func janeSub(t *testing.T, f *fixture) string {
	t.Helper()
	parts := strings.Split(f.tokens["jane.smith@company.com"], ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Sub string }
	if err := json.Unmarshal(b, &c); err != nil || c.Sub == "" {
		t.Fatalf("Token A payload: %v", err)
	}
	return c.Sub
}

func TestFrontDoorForwardsOnlyAllowListedHeaders(t *testing.T) {
	f := newFixture(t)
	req := httptest.NewRequest(http.MethodPost, "/invocations", strings.NewReader(`{"prompt":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+f.tokens["jane.smith@company.com"])
	req.Header.Set("Content-Type", "application/json")
	// A proxy would drop every header named in Connection after the front
	// door set it; look-alikes with underscores fool CGI-style servers.
	req.Header.Set("Connection", "WorkloadAccessToken, "+HeaderUserID+", "+HeaderSessionID)
	req.Header.Set("X_Amzn_Bedrock_AgentCore_Runtime_User_Id", "someone-else")
	req.Header.Set("X-Forwarded-For", "10.0.0.1")
	req.Header.Set("Proxy-Authorization", "Basic c2VjcmV0")
	f.door.ServeHTTP(httptest.NewRecorder(), req)
	if len(f.spy.reqs) != 1 {
		t.Fatalf("agent saw %d requests", len(f.spy.reqs))
	}
	got := f.spy.reqs[0].Header
	for name := range got {
		switch name {
		case "Content-Type", http.CanonicalHeaderKey(HeaderWorkloadAccessToken), http.CanonicalHeaderKey(HeaderWorkloadAccessTokenNewer),
			http.CanonicalHeaderKey(HeaderSessionID), http.CanonicalHeaderKey(HeaderUserID), http.CanonicalHeaderKey(HeaderRequestID):
		default:
			t.Errorf("the agent received header %s: %q", name, got.Values(name))
		}
	}
	if got.Get(HeaderWorkloadAccessToken) == "" || got.Get(HeaderUserID) == "" {
		t.Error("the identity headers are missing")
	}
}

func TestFrontDoorPingCarriesNoCredentialAndOtherPathsAre404(t *testing.T) {
	f := newFixture(t)
	ping := httptest.NewRequest(http.MethodGet, "/ping", nil)
	ping.Header.Set("Authorization", "Bearer "+f.tokens["jane.smith@company.com"])
	ping.Header.Set("Cookie", "sid=1")
	f.door.ServeHTTP(httptest.NewRecorder(), ping)
	if len(f.spy.reqs) != 1 || f.spy.reqs[0].Header.Get("Authorization") != "" || f.spy.reqs[0].Header.Get("Cookie") != "" {
		t.Fatalf("the agent's /ping received credentials: %v", f.spy.reqs)
	}
	rec := httptest.NewRecorder()
	f.door.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs", nil))
	if rec.Code != http.StatusNotFound || len(f.spy.reqs) != 1 {
		t.Errorf("GET /docs = %d (agent saw %d requests), want 404 without reaching the agent", rec.Code, len(f.spy.reqs))
	}
}
