package webui_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/authorizer"
	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	snowemu "github.com/onbehalf/onbehalf/emulator/servicenow"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/incidentagent"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/model/offline"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/runtime"
	"github.com/onbehalf/onbehalf/servicenow"
	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/trace"
	"github.com/onbehalf/onbehalf/webui"
)

const (
	workloadName  = "servicenow-agent-workload"
	providerName  = "EntraIdServiceNow"
	adminPassword = "admin-test-password"
)

// stack is the whole dev system on loopback, assembled from the real parts
// as `onbehalf dev` does: the Entra emulator (with the runtime's origin as
// an SPA redirect URI of the agent app), the ServiceNow emulator, the
// broker, the incident agent with the offline planner, and the runtime's
// front door serving the chat UI.
type stack struct {
	url  string // the runtime, where the UI is
	snow string // the ServiceNow emulator
	idp  *entratest.Tenant
	tee  *tee
	// skew moves the front door's clock (session expiry) forward.
	skew atomic.Int64
}

func startStack(t *testing.T) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s := &stack{tee: &tee{}}

	// The runtime's address goes into the IdP's app registration, so
	// listen first.
	rl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.url = "http://" + rl.Addr().String()
	s.idp = entratest.Start(t, entratest.WithRuntimeURL(s.url))

	sl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	snowURL := "http://" + sl.Addr().String()
	sn, err := snowemu.New(ctx, snowemu.Config{
		BaseURL: snowURL, AdminPassword: adminPassword, SeedDev: true,
		OIDC: []snowemu.OIDCProvider{{Name: "Entra ID", MetadataURL: s.idp.DiscoveryURL(), ClientID: entra.DevConnectorClientID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, sl, sn)
	t.Cleanup(func() { sn.Close() })
	s.snow = snowURL

	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "onbehalf.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := keyring.Generate()
	if err != nil {
		t.Fatal(err)
	}
	az, err := authorizer.New(ctx, authorizer.Config{
		DiscoveryURL:     s.idp.DiscoveryURL(),
		AllowedAudiences: []string{entra.DevAgentClientID},
		AllowedClients:   []string{entra.DevAgentClientID},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(az.Close)
	broker, err := identity.New(identity.Config{
		Store: st, Keyring: keys, OAuth: &oauth.Client{},
		VerifyUserToken: func(ctx context.Context, raw string) (identity.UserClaims, error) {
			c, err := az.Verify(ctx, raw)
			if err != nil {
				return identity.UserClaims{}, err
			}
			return identity.UserClaims{Issuer: c.Issuer, Subject: c.Subject, ExpiresAt: c.ExpiresAt}, nil
		},
		Providers: []identity.Oauth2CredentialProvider{{
			Name: providerName, CredentialProviderVendor: "MicrosoftOauth2", TenantID: entra.DevTenantID,
			DiscoveryURL: s.idp.DiscoveryURL(), ClientID: entra.DevAgentClientID, ClientSecret: s.idp.AgentSecret,
		}},
		Workloads: []identity.WorkloadIdentity{{Name: workloadName}},
	})
	if err != nil {
		t.Fatal(err)
	}
	tokens := identity.TokenSource{Getter: broker, Provider: providerName, Scopes: []string{entratest.ConnectorScope}}
	app := &runtime.App{Handler: incidentagent.Handler(incidentagent.Config{
		Model: offline.New(),
		Tools: servicenow.Tools(&servicenow.Client{BaseURL: snowURL, Tokens: tokens,
			Audit: func(ctx context.Context, ev servicenow.CallEvent) { trace.Record(ctx, ev.Hop()) }}),
		Sessions: st,
		Token:    tokens.Token,
	})}
	s.tee.next = &runtime.FrontDoor{
		Verifier: az, Identity: broker, WorkloadName: workloadName, AgentName: "servicenow",
		Sessions: st, Agent: app,
		UI:  webui.Handler(devUIConfig(s.idp.Issuer())),
		Now: func() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) },
	}
	serve(t, rl, s.tee)
	return s
}

// devUIConfig is the chat UI's configuration for the dev tenant whose
// issuer is given: exactly what `onbehalf dev` should pass.
func devUIConfig(issuer string) webui.Config {
	return webui.Config{
		Authority: issuer,
		ClientID:  entra.DevAgentClientID,
		Scopes:    []string{entratest.AgentScope, "openid", "profile", "offline_access"},
		Title:     "onbehalf · ServiceNow assistant",
	}
}

func serve(t *testing.T, ln net.Listener, h http.Handler) {
	t.Helper()
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// incidentField reads one field of an incident as the ServiceNow admin.
func incidentField(t *testing.T, s *stack, number, field string) string {
	t.Helper()
	q := url.Values{"sysparm_query": {"number=" + number}, "sysparm_fields": {field}}
	req, _ := http.NewRequest(http.MethodGet, s.snow+"/api/now/table/incident?"+q.Encode(), nil)
	req.SetBasicAuth("admin", adminPassword)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Result []map[string]string `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || resp.StatusCode != http.StatusOK || len(body.Result) != 1 {
		t.Fatalf("admin read of %s: %s, %v, %d rows", number, resp.Status, err, len(body.Result))
	}
	return body.Result[0][field]
}

// event is the part of an agent event the tests compare.
type event struct {
	Type string `json:"type"`
	Hop  string `json:"hop"`
}

// invocation is what the runtime answered to one POST /invocations.
type invocation struct {
	status    int
	sessionIn string // the session id the browser sent
	events    []event
}

// tee sits in front of the runtime and records every invocation's session
// id, status and events as the browser sent and received them, so that a
// test can compare what the page shows with what the runtime sent.
type tee struct {
	next   http.Handler
	mu     sync.Mutex
	invs   []invocation
	faults []http.HandlerFunc
}

// inject makes f answer the next invocation instead of the runtime.
func (t *tee) inject(f http.HandlerFunc) {
	t.mu.Lock()
	t.faults = append(t.faults, f)
	t.mu.Unlock()
}

// clearFaults drops faults not used yet.
func (t *tee) clearFaults() {
	t.mu.Lock()
	t.faults = nil
	t.mu.Unlock()
}

func (t *tee) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/invocations" {
		t.next.ServeHTTP(w, r)
		return
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	t.mu.Lock()
	var fault http.HandlerFunc
	if len(t.faults) > 0 {
		fault, t.faults = t.faults[0], t.faults[1:]
	}
	t.mu.Unlock()
	if fault != nil {
		fault(rec, r)
	} else {
		t.next.ServeHTTP(rec, r)
	}
	inv := invocation{status: rec.status, sessionIn: r.Header.Get(runtime.HeaderSessionID)}
	sc := bufio.NewScanner(bytes.NewReader(rec.buf.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e event
		if json.Unmarshal([]byte(line), &e) == nil {
			inv.events = append(inv.events, e)
		}
	}
	t.mu.Lock()
	t.invs = append(t.invs, inv)
	t.mu.Unlock()
}

func (t *tee) invocations() []invocation {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]invocation(nil), t.invs...)
}

type recorder struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.buf.Write(p)
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// traceKinds is what the trace panel should list for an answer's events:
// every trace hop, the model, each tool call (start and end in one item),
// each held write, and the answer's return.
func traceKinds(events []event) []string {
	var out []string
	for _, e := range events {
		switch e.Type {
		case "trace":
			out = append(out, e.Hop)
		case "model":
			out = append(out, "model")
		case "tool_start":
			out = append(out, "tool")
		case "confirmation_required":
			out = append(out, "confirmation")
		case "final", "error":
			out = append(out, "answer")
		}
	}
	return out
}
