package servicenow

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testTenant    = "c0ffee00-0000-4000-8000-000000000001"
	connectorID   = "5e7c0000-0000-4000-8000-000000000003"
	testAdminPass = "test-admin-password-9f2c"
)

// testNow is the fixed clock of every test server.
var testNow = time.Date(2025, 6, 2, 9, 30, 0, 0, time.UTC)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testIssuer is a small Entra-like OIDC issuer: discovery + JWKS, and a
// signer for v2 access tokens.
type testIssuer struct {
	srv          *httptest.Server
	issuer       string
	kid          string
	key          *rsa.PrivateKey
	metadataURL  string
	metadataHits atomic.Int32
	jwksHits     atomic.Int32
	metadataDown atomic.Bool // answer 503 on discovery
	jwksDown     atomic.Bool // answer 503 on JWKS
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	iss := startTestIssuer()
	t.Cleanup(iss.srv.Close)
	return iss
}

// startTestIssuer starts an issuer the caller must close (iss.srv.Close).
func startTestIssuer() *testIssuer {
	iss := &testIssuer{key: testKey(), kid: "test-kid-1"}
	mux := http.NewServeMux()
	iss.srv = httptest.NewServer(mux)
	iss.issuer = iss.srv.URL + "/" + testTenant + "/v2.0"
	iss.metadataURL = iss.issuer + "/.well-known/openid-configuration"
	mux.HandleFunc("GET /"+testTenant+"/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss.metadataHits.Add(1)
		if iss.metadataDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                iss.issuer,
			"jwks_uri":                              iss.srv.URL + "/" + testTenant + "/discovery/v2.0/keys",
			"token_endpoint":                        iss.srv.URL + "/" + testTenant + "/oauth2/v2.0/token",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /"+testTenant+"/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		iss.jwksHits.Add(1)
		if iss.jwksDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		pub := iss.key.PublicKey
		enc := base64.RawURLEncoding
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "use": "sig", "alg": "RS256", "kid": iss.kid,
			"n": enc.EncodeToString(pub.N.Bytes()),
			"e": enc.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	})
	return iss
}

// claims returns Entra v2 access-token claims for upn, aud the connector,
// valid around testNow.
func (iss *testIssuer) claims(upn string) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":                iss.issuer,
		"aud":                connectorID,
		"tid":                testTenant,
		"oid":                "0a000000-0000-4000-8000-00000000000a",
		"sub":                "pairwise-" + upn,
		"preferred_username": upn,
		"scp":                "user_impersonation",
		"ver":                "2.0",
		"iat":                testNow.Add(-5 * time.Minute).Unix(),
		"nbf":                testNow.Add(-5 * time.Minute).Unix(),
		"exp":                testNow.Add(55 * time.Minute).Unix(),
	}
}

func (iss *testIssuer) sign(t testing.TB, c jwt.MapClaims) string {
	t.Helper()
	s, err := iss.signErr(c)
	if err != nil {
		t.Fatalf("sign token: %v", err)
	}
	return s
}

func (iss *testIssuer) signErr(c jwt.MapClaims) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = iss.kid
	return tok.SignedString(iss.key)
}

// token is a valid Token B for upn.
func (iss *testIssuer) token(t testing.TB, upn string) string {
	return iss.sign(t, iss.claims(upn))
}

// testEnv is a seeded emulator behind a real HTTP server, trusting iss.
type testEnv struct {
	t   *testing.T
	srv *Server
	hs  *httptest.Server
	iss *testIssuer
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvWith(t, nil)
}

// newTestEnvWith is newTestEnv with cfg adjusted by tweak before New.
func newTestEnvWith(t *testing.T, tweak func(*Config)) *testEnv {
	t.Helper()
	iss := newTestIssuer(t)
	e := &testEnv{t: t, iss: iss}
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.srv.ServeHTTP(w, r) })
	e.hs = httptest.NewServer(handler)
	t.Cleanup(e.hs.Close)
	cfg := Config{
		BaseURL:       e.hs.URL,
		AdminPassword: testAdminPass,
		SeedDev:       true,
		OIDC: []OIDCProvider{{
			Name:        "EntraID",
			MetadataURL: iss.metadataURL,
			ClientID:    connectorID,
		}},
		HTTPClient: iss.srv.Client(),
		Now:        func() time.Time { return testNow },
		Logger:     discardLogger(),
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	e.srv = srv
	return e
}

func (e *testEnv) bearer(upn string) string { return "Bearer " + e.iss.token(e.t, upn) }

func basic(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func (e *testEnv) admin() string { return basic("admin", testAdminPass) }

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (e *testEnv) do(method, path, auth, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.hs.URL+path, rd)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := e.hs.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("read body: %v", err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			e.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return r
}

func (e *testEnv) get(path, auth string) response {
	e.t.Helper()
	return e.do(http.MethodGet, path, auth, "")
}

// list GETs path and requires 200 with a result array.
func (e *testEnv) list(path, auth string) ([]map[string]any, response) {
	e.t.Helper()
	r := e.get(path, auth)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s: status %d, want 200: %s", path, r.status, r.raw)
	}
	items, ok := r.body["result"].([]any)
	if !ok {
		e.t.Fatalf("GET %s: result is not an array: %s", path, r.raw)
	}
	out := make([]map[string]any, len(items))
	for i, it := range items {
		out[i] = it.(map[string]any)
	}
	return out, r
}

// numbers lists the incident numbers of path, in order.
func (e *testEnv) numbers(path, auth string) []string {
	e.t.Helper()
	recs, _ := e.list(path, auth)
	var out []string
	for _, r := range recs {
		out = append(out, r["number"].(string))
	}
	return out
}

func incidentsWhere(q string) string {
	return "/api/now/table/incident?sysparm_query=" + url.QueryEscape(q)
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func wantSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func wantEnvelope(t *testing.T, r response, status int, message, detail string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status %d, want %d (body %s)", r.status, status, r.raw)
	}
	if r.body["status"] != "failure" {
		t.Errorf(`"status" = %v, want "failure" (body %s)`, r.body["status"], r.raw)
	}
	errObj, _ := r.body["error"].(map[string]any)
	if errObj["message"] != message || errObj["detail"] != detail {
		t.Errorf("error = %v, want message %q detail %q", errObj, message, detail)
	}
	if ct := r.header.Get("Content-Type"); ct != contentTypeJSON {
		t.Errorf("Content-Type %q, want %q", ct, contentTypeJSON)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
