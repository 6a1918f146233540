package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onbehalf/onbehalf/authorizer"
)

// refuseAll is an authorizer that accepts no token (another agent's IdP).
type refuseAll struct{}

func (refuseAll) Verify(context.Context, string) (*authorizer.Claims, error) {
	return nil, errors.Join(authorizer.ErrAudience)
}

// routed is the fixture's agent plus two more behind one Router: "hr"
// accepts the same tokens, "partner" none.
type routed struct {
	*fixture
	router  *Router
	hrSpy   *agentSpy
	partner *agentSpy
}

func newRouted(t *testing.T) *routed {
	f := newFixture(t)
	f.door.AuthorizationServers = []string{"https://login.example/tenant/v2.0"}
	f.door.Scopes = []string{"api://agent/access_as_user"}
	hr, partner := &agentSpy{}, &agentSpy{}
	hrDoor := &FrontDoor{Verifier: f.door.Verifier, Identity: f.broker, WorkloadName: "hr-workload", AgentName: "hr",
		Sessions: f.door.Sessions, Agent: hr, Now: f.door.Now}
	partnerDoor := &FrontDoor{Verifier: refuseAll{}, Identity: f.broker, WorkloadName: "partner-workload", AgentName: "partner",
		Sessions: f.door.Sessions, Agent: partner, Now: f.door.Now, PublicURL: "https://agents.example.com/"}
	return &routed{fixture: f, router: &Router{Agents: []*FrontDoor{f.door, hrDoor, partnerDoor}}, hrSpy: hr, partner: partner}
}

func (r *routed) do(method, target, user, session string) *httptest.ResponseRecorder {
	return r.serve(r.router, method, target, user, session)
}

func TestRouterInvokesTheNamedAgentAtTheContainerContract(t *testing.T) {
	r := newRouted(t)
	arn := url.PathEscape("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/hr")
	for _, target := range []string{"/runtimes/hr/invocations", "/runtimes/" + arn + "/invocations?qualifier=DEFAULT"} {
		if rec := r.do(http.MethodPost, target, "jane.smith@company.com", ""); rec.Code != http.StatusOK {
			t.Fatalf("POST %s: %d %s", target, rec.Code, rec.Body)
		}
	}
	if len(r.hrSpy.reqs) != 2 || len(r.spy.reqs) != 0 {
		t.Fatalf("hr agent saw %d requests, default agent %d; want 2 and 0", len(r.hrSpy.reqs), len(r.spy.reqs))
	}
	for _, in := range r.hrSpy.reqs {
		if in.URL.Path != "/invocations" || in.URL.RawQuery != "" || in.Header.Get(HeaderWorkloadAccessToken) != "wat-for-hr-workload" {
			t.Errorf("hr agent got %s?%s with WAT %q; want /invocations and its own workload's WAT", in.URL.Path, in.URL.RawQuery, in.Header.Get(HeaderWorkloadAccessToken))
		}
	}
	// The container-contract path still reaches the default agent.
	if rec := r.do(http.MethodPost, "/invocations", "jane.smith@company.com", ""); rec.Code != http.StatusOK || len(r.spy.reqs) != 1 {
		t.Errorf("POST /invocations: %d, default agent saw %d", rec.Code, len(r.spy.reqs))
	}
}

func TestRouterRefusesUnknownAgentsQualifiersAndMethods(t *testing.T) {
	r := newRouted(t)
	for _, c := range []struct {
		method, target string
		status         int
	}{
		{http.MethodPost, "/runtimes/nope/invocations", http.StatusNotFound},
		{http.MethodPost, "/runtimes/" + url.PathEscape("arn:aws:bedrock-agentcore:us-east-1:1:runtime/nope") + "/invocations", http.StatusNotFound},
		{http.MethodPost, "/runtimes/" + url.PathEscape("arn:aws:s3:::runtime/hr") + "/invocations", http.StatusNotFound},
		{http.MethodPost, "/runtimes/hr/invocations?qualifier=PROD", http.StatusNotFound},
		{http.MethodPost, "/runtimes/hr/invocations?qualifier=DEFAULT&qualifier=PROD", http.StatusNotFound},
		{http.MethodPost, "/runtimes/h%2Fr/invocations", http.StatusNotFound},
		{http.MethodPost, "/runtimes/../runtimes/hr/invocations", http.StatusNotFound},
		{http.MethodPost, "/runtimes/hr/other", http.StatusNotFound},
		{http.MethodGet, "/runtimes/hr/invocations", http.StatusMethodNotAllowed},
	} {
		rec := r.do(c.method, c.target, "jane.smith@company.com", "")
		if rec.Code != c.status {
			t.Errorf("%s %s: %d %s, want %d", c.method, c.target, rec.Code, rec.Body, c.status)
		}
	}
	if n := len(r.hrSpy.reqs) + len(r.spy.reqs) + len(r.partner.reqs); n != 0 {
		t.Errorf("agents saw %d requests, want none", n)
	}
}

// Each agent checks tokens with its own authorizer; its 401 points to its
// own protected resource metadata (RFC 9728), which names its issuer.
func TestRouterUsesEachAgentsAuthorizerAndPointsToItsMetadata(t *testing.T) {
	r := newRouted(t)
	rec := r.do(http.MethodPost, "/runtimes/partner/invocations", "jane.smith@company.com", "")
	if rec.Code != http.StatusUnauthorized || len(r.partner.reqs) != 0 {
		t.Fatalf("Jane's token at the partner agent: %d (partner saw %d requests), want 401 and nothing reaching it", rec.Code, len(r.partner.reqs))
	}
	want := `resource_metadata="https://agents.example.com/.well-known/oauth-protected-resource/runtimes/partner/invocations"`
	if ch := rec.Header().Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Bearer ") || !strings.Contains(ch, want) {
		t.Errorf("challenge %q, want it to carry %s", ch, want)
	}
	rec = r.do(http.MethodPost, "/invocations", "", "")
	if ch := rec.Header().Get("WWW-Authenticate"); rec.Code != http.StatusUnauthorized || !strings.Contains(ch, `resource_metadata="http://example.com/.well-known/oauth-protected-resource/invocations"`) {
		t.Errorf("default agent without a token: %d %q", rec.Code, ch)
	}

	for target, want := range map[string]protectedResource{
		"/.well-known/oauth-protected-resource": {Resource: "http://example.com", AuthorizationServers: []string{"https://login.example/tenant/v2.0"},
			ScopesSupported: []string{"api://agent/access_as_user"}, BearerMethodsSupported: []string{"header"}, ResourceName: "servicenow"},
		"/.well-known/oauth-protected-resource/invocations": {Resource: "http://example.com/invocations", AuthorizationServers: []string{"https://login.example/tenant/v2.0"},
			ScopesSupported: []string{"api://agent/access_as_user"}, BearerMethodsSupported: []string{"header"}, ResourceName: "servicenow"},
		"/.well-known/oauth-protected-resource/runtimes/partner/invocations": {Resource: "https://agents.example.com/runtimes/partner/invocations",
			BearerMethodsSupported: []string{"header"}, ResourceName: "partner"},
	} {
		rec := r.do(http.MethodGet, target, "", "")
		var got protectedResource
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body)
		}
		if g, w := mustJSON(got), mustJSON(want); g != w {
			t.Errorf("GET %s = %s, want %s", target, g, w)
		}
	}
}

// A session opened with one agent is not another agent's, even for the
// same user.
func TestRouterKeepsSessionsToTheirAgent(t *testing.T) {
	r := newRouted(t)
	sid := "session-" + strings.Repeat("r", 32)
	if rec := r.do(http.MethodPost, "/invocations", "jane.smith@company.com", sid); rec.Code != http.StatusOK {
		t.Fatalf("open with the default agent: %d", rec.Code)
	}
	rec := r.do(http.MethodPost, "/runtimes/hr/invocations", "jane.smith@company.com", sid)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "another agent") || len(r.hrSpy.reqs) != 0 {
		t.Errorf("the default agent's session at hr: %d %s, want 403 naming another agent", rec.Code, rec.Body)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// The resource in the challenge and in the metadata is the URL exactly as
// the client used it (an escaped ARN stays escaped), as RFC 9728 clients
// require; a host that is not a plain host is not echoed.
func TestRouterMetadataNamesTheURLTheClientUsed(t *testing.T) {
	r := newRouted(t)
	arnPath := "/runtimes/" + url.PathEscape("arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/hr") + "/invocations"
	rec := r.do(http.MethodPost, arnPath+"?qualifier=DEFAULT", "", "")
	want := `resource_metadata="http://example.com/.well-known/oauth-protected-resource` + arnPath + `"`
	if ch := rec.Header().Get("WWW-Authenticate"); rec.Code != http.StatusUnauthorized || !strings.Contains(ch, want) {
		t.Fatalf("ARN invocation without a token: %d %q, want %s", rec.Code, ch, want)
	}
	rec = r.do(http.MethodGet, "/.well-known/oauth-protected-resource"+arnPath, "", "")
	var got protectedResource
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Resource != "http://example.com"+arnPath || got.ResourceName != "hr" {
		t.Errorf("metadata of the ARN path: %d %s, want resource http://example.com%s", rec.Code, rec.Body, arnPath)
	}

	req := httptest.NewRequest(http.MethodPost, "/runtimes/hr/invocations", strings.NewReader("{}"))
	req.Host = `evil"x=y`
	rec = httptest.NewRecorder()
	r.router.ServeHTTP(rec, req)
	if ch := rec.Header().Get("WWW-Authenticate"); strings.Contains(ch, "evil") || !strings.Contains(ch, "http://invalid-host/") {
		t.Errorf("a hostile host reached the challenge: %q", ch)
	}
}

// The agent sees /invocations and nothing else of the caller's URL.
func TestRouterPassesTheAgentNoneOfTheCallersURL(t *testing.T) {
	r := newRouted(t)
	req := httptest.NewRequest(http.MethodPost, "http://user:pass@example.com/runtimes/hr/invocations?qualifier=DEFAULT", strings.NewReader(`{"prompt":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+r.tokens["jane.smith@company.com"])
	rec := httptest.NewRecorder()
	r.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || len(r.hrSpy.reqs) != 1 {
		t.Fatalf("invoke: %d, hr saw %d", rec.Code, len(r.hrSpy.reqs))
	}
	if u := r.hrSpy.reqs[0].URL; u.String() != "/invocations" {
		t.Errorf("the agent saw URL %q, want just /invocations", u.String())
	}
}

// Invocations are counted by agent and status, refusals included; the
// answer still streams through the counting writer.
func TestFrontDoorMetricsCountInvocationsByAgentAndStatus(t *testing.T) {
	r := newRouted(t)
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.router.Agents {
		f.Metrics = m
	}
	r.do(http.MethodPost, "/invocations", "jane.smith@company.com", "")
	r.do(http.MethodPost, "/runtimes/hr/invocations", "jane.smith@company.com", "")
	r.do(http.MethodPost, "/runtimes/hr/invocations", "", "")
	r.do(http.MethodPost, "/runtimes/partner/invocations", "jane.smith@company.com", "")
	want := `
# HELP onbehalf_runtime_invocations_total Invocations by agent and HTTP status (401/403 refused at the front door, 200 answered).
# TYPE onbehalf_runtime_invocations_total counter
onbehalf_runtime_invocations_total{agent="hr",status="200"} 1
onbehalf_runtime_invocations_total{agent="hr",status="401"} 1
onbehalf_runtime_invocations_total{agent="partner",status="401"} 1
onbehalf_runtime_invocations_total{agent="servicenow",status="200"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "onbehalf_runtime_invocations_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "onbehalf_runtime_invocation_seconds"); n != 3 {
		t.Errorf("duration series = %d, want one per agent (3)", n)
	}
}
