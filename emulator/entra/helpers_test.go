package entra_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

const (
	agentSecret  = "agent-secret-9f8e7d6c5b4a"
	userPassword = "user-password-3c2b1a0f"

	janeUPN = "jane.smith@company.com"
	janeOID = "0a000000-0000-4000-8000-00000000000a"

	// hrAPI is a third resource app the agent has no consent for.
	hrAPIClientID = "4c000000-0000-4000-8000-000000000004"
	// cliClientID is a public client (no secret) allowed to call the agent API.
	cliClientID = "c1000000-0000-4000-8000-000000000005"
)

var (
	agentAPI     = "api://" + entra.DevAgentClientID
	connectorAPI = "api://" + entra.DevConnectorClientID
	hrAPI        = "api://" + hrAPIClientID
)

// clock is an injectable, settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedBuffer collects log output written from server goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tenant is a running emulator for one test.
type tenant struct {
	srv   *entra.Server
	url   string
	clock *clock
	logs  *lockedBuffer
}

// Redirect URIs of the test tenant. Nothing listens there: tests read the
// Location header and never follow it.
const (
	runtimeURL  = "http://127.0.0.1:5173"
	spaRedirect = runtimeURL + "/"                      // agent app, SPA platform (DevOptions)
	webRedirect = "http://127.0.0.1:8400/auth/callback" // agent app, web platform
	cliRedirect = "http://127.0.0.1:8765/callback"      // CLI (public client)
)

// testConfig is the dev tenant (with the runtime UI as the agent's SPA
// redirect URI, plus a web redirect URI) plus a resource app the agent was
// never granted (HR API) and a public client app (CLI).
func testConfig(baseURL string) entra.Config {
	cfg := entra.DevConfig(baseURL, agentSecret, userPassword, entra.DevOptions{RuntimeURL: runtimeURL})
	cfg.Apps[0].RedirectURIs = []string{webRedirect}
	cfg.Apps = append(cfg.Apps,
		entra.App{
			ClientID:       hrAPIClientID,
			DisplayName:    "HR Cases API",
			IdentifierURIs: []string{hrAPI},
			Scopes:         []string{"cases.read"},
		},
		entra.App{
			ClientID:     cliClientID,
			DisplayName:  "Agent CLI",
			Permissions:  map[string][]string{entra.DevAgentClientID: {"access_as_user"}},
			RedirectURIs: []string{cliRedirect},
		},
	)
	return cfg
}

// start runs the emulator on 127.0.0.1 with testConfig, an injected clock
// and a captured debug log; mutate may adjust the config.
func start(t *testing.T, mutate ...func(*entra.Config)) *tenant {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	tn := &tenant{url: base, clock: &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)}, logs: &lockedBuffer{}}
	cfg := testConfig(base)
	cfg.Now = tn.clock.Now
	cfg.Logger = slog.New(slog.NewJSONHandler(tn.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg.SigningKey = testKey(t, 0)
	for _, m := range mutate {
		m(&cfg)
	}
	srv, err := entra.New(cfg)
	if err != nil {
		t.Fatalf("entra.New: %v", err)
	}
	tn.srv = srv
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return tn
}

// Generating RSA keys is slow; tests share a few.
var (
	keysMu sync.Mutex
	keys   = map[int]*rsa.PrivateKey{}
)

func testKey(t *testing.T, i int) *rsa.PrivateKey {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if k, ok := keys[i]; ok {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys[i] = k
	return k
}

// response is a decoded token-endpoint answer.
type response struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

func (r response) str(key string) string { s, _ := r.body[key].(string); return s }

// String is the body for failure messages, with tokens redacted.
func (r response) String() string {
	if r.str("access_token") == "" && r.str("id_token") == "" {
		return r.raw
	}
	red := map[string]any{}
	for k, v := range r.body {
		red[k] = v
	}
	for _, k := range []string{"access_token", "id_token", "refresh_token"} {
		if _, ok := red[k]; ok {
			red[k] = "<redacted>"
		}
	}
	b, _ := json.Marshal(red)
	return string(b)
}

// post sends a token request; basic, if non-nil, is [id, secret] for HTTP
// Basic client authentication.
func (tn *tenant) post(t *testing.T, form url.Values, basic ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tn.srv.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if len(basic) == 2 {
		req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := response{status: resp.StatusCode, header: resp.Header, raw: string(raw), body: map[string]any{}}
	if err := json.Unmarshal(raw, &out.body); err != nil {
		t.Fatalf("%s %s: body is not JSON (%v): %q", req.Method, req.URL.Path, err, raw)
	}
	return out
}

func get(t *testing.T, u string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, req)
}

// passwordForm is Jane signing in to client for scope via ROPC.
func passwordForm(clientID, secret, scope string) url.Values {
	f := url.Values{
		"grant_type": {"password"},
		"client_id":  {clientID},
		"username":   {janeUPN},
		"password":   {userPassword},
		"scope":      {scope},
	}
	if secret != "" {
		f.Set("client_secret", secret)
	}
	return f
}

func oboForm(clientID, secret, assertion, scope string) url.Values {
	f := url.Values{
		"grant_type":          {entra.GrantJWTBearer},
		"client_id":           {clientID},
		"assertion":           {assertion},
		"scope":               {scope},
		"requested_token_use": {"on_behalf_of"},
	}
	if secret != "" {
		f.Set("client_secret", secret)
	}
	return f
}

// tokenA is Jane's token for the agent API, issued to the agent app.
func (tn *tenant) tokenA(t *testing.T) string {
	t.Helper()
	return tn.mustToken(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"))
}

func (tn *tenant) mustToken(t *testing.T, form url.Values) string {
	t.Helper()
	r := tn.post(t, form)
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("token request (%s) = %d %s, want 200 with access_token", form.Get("grant_type"), r.status, r)
	}
	return r.str("access_token")
}

var descRE = regexp.MustCompile(`^AADSTS(\d+): (.+)\r\nTrace ID: ([0-9a-f-]{36})\r\nCorrelation ID: ([0-9a-f-]{36})\r\nTimestamp: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)$`)

// wantError asserts an Entra error response: status, error, AADSTS code and
// the exact body shape; it returns the description text after the code.
func wantError(t *testing.T, r response, status int, oauthErr string, code int) string {
	t.Helper()
	if r.status != status || r.str("error") != oauthErr {
		t.Fatalf("got %d %q, want %d %q; body %s", r.status, r.str("error"), status, oauthErr, r)
	}
	m := descRE.FindStringSubmatch(r.str("error_description"))
	if m == nil {
		t.Fatalf("error_description %q is not Entra-shaped", r.str("error_description"))
	}
	if m[1] != strconv.Itoa(code) {
		t.Fatalf("got AADSTS%s, want AADSTS%d: %s", m[1], code, m[2])
	}
	codes, _ := r.body["error_codes"].([]any)
	if len(codes) != 1 || codes[0] != float64(code) {
		t.Errorf("error_codes = %v, want [%d]", r.body["error_codes"], code)
	}
	if r.str("trace_id") != m[3] || r.str("correlation_id") != m[4] || r.str("timestamp") != m[5] {
		t.Errorf("trace_id/correlation_id/timestamp %q/%q/%q differ from the description's %q/%q/%q",
			r.str("trace_id"), r.str("correlation_id"), r.str("timestamp"), m[3], m[4], m[5])
	}
	if !strings.HasSuffix(r.str("error_uri"), "/error?code="+strconv.Itoa(code)) {
		t.Errorf("error_uri = %q, want …/error?code=%d", r.str("error_uri"), code)
	}
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	return m[2]
}

// verify checks tok's signature with the keys published at the tenant's
// JWKS (fetched over HTTP) and returns its header and claims.
func (tn *tenant) verify(t *testing.T, tok string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	resp, err := http.Get(tn.srv.DiscoveryURL())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	err = json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(doc.JWKSURI)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	kf, err := keyfunc.NewJWKSetJSON(raw)
	if err != nil {
		t.Fatalf("JWKS not usable by keyfunc: %v", err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.ParseWithClaims(tok, claims, kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(tn.srv.Issuer()),
		jwt.WithTimeFunc(tn.clock.Now))
	if err != nil {
		t.Fatalf("token does not verify with the published JWKS: %v", err)
	}
	return parsed.Header, claims
}
