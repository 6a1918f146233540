package authorizer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The test IdP: an httptest server on 127.0.0.1 serving an OIDC discovery
// document and a JWK set of keys generated here, with request counters and
// switches for outages and rotation. It imports nothing of onbehalf.

const (
	testTenant   = "c0ffee00-0000-4000-8000-000000000001"
	testAudience = "a9e17000-0000-4000-8000-000000000002"
	testClient   = "11111111-0000-4000-8000-0000000000c1"
	testOID      = "0a000000-0000-4000-8000-00000000000a"
)

// Keys are generated once per test binary: RSA generation is the slowest
// thing these tests do.
var (
	keysOnce sync.Once
	rsaA     *rsa.PrivateKey // the IdP's key "kA"
	rsaB     *rsa.PrivateKey // the rotated-in key "kB"
	rsaEvil  *rsa.PrivateKey // an attacker's key
	ecA      *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		rsaA, rsaB, rsaEvil = gen(), gen(), gen()
		var err error
		if ecA, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

// signingKey is a private key with the kid and alg it signs with.
type signingKey struct {
	kid  string
	alg  string
	priv crypto.Signer
}

func keyA() signingKey    { return signingKey{"kA", "RS256", rsaA} }
func keyB() signingKey    { return signingKey{"kB", "RS256", rsaB} }
func keyEC() signingKey   { return signingKey{"kEC", "ES256", ecA} }
func keyEvil() signingKey { return signingKey{"kA", "RS256", rsaEvil} } // same kid as keyA

type testIdP struct {
	srv *httptest.Server

	mu     sync.Mutex
	issuer string        // discovery issuer; default the server URL
	keys   []signingKey  // published in the JWK set
	gate   chan struct{} // when set, discovery waits for it to close

	down          atomic.Bool // discovery and JWKS answer 503
	jwksDown      atomic.Bool // only JWKS answers 503
	discoveryHits atomic.Int64
	jwksHits      atomic.Int64
}

func startIdP(t *testing.T) *testIdP {
	t.Helper()
	testKeys(t)
	p := &testIdP{keys: []signingKey{keyA()}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tenant/v2.0/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		p.discoveryHits.Add(1)
		p.mu.Lock()
		gate := p.gate
		p.mu.Unlock()
		if gate != nil {
			<-gate
		}
		if p.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		writeJSON(w, map[string]any{
			"issuer":                                p.Issuer(),
			"jwks_uri":                              p.srv.URL + "/tenant/discovery/v2.0/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /tenant/discovery/v2.0/keys", func(w http.ResponseWriter, r *http.Request) {
		p.jwksHits.Add(1)
		if p.down.Load() || p.jwksDown.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		jwks := []map[string]string{}
		for _, k := range p.keys {
			jwks = append(jwks, publicJWK(k))
		}
		writeJSON(w, map[string]any{"keys": jwks})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testIdP) DiscoveryURL() string {
	return p.srv.URL + "/tenant/v2.0/.well-known/openid-configuration"
}

func (p *testIdP) Issuer() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.issuer != "" {
		return p.issuer
	}
	return p.srv.URL + "/" + testTenant + "/v2.0"
}

func (p *testIdP) SetIssuer(iss string) { p.mu.Lock(); p.issuer = iss; p.mu.Unlock() }

// Publish replaces the published keys (rotation).
func (p *testIdP) Publish(keys ...signingKey) { p.mu.Lock(); p.keys = keys; p.mu.Unlock() }

// Config is a strict config for this IdP with an injected clock.
func (p *testIdP) Config(clock *testClock) Config {
	return Config{
		DiscoveryURL:       p.DiscoveryURL(),
		AllowedAudiences:   []string{testAudience, "api://" + testAudience},
		AllowedClients:     []string{testClient},
		HTTPClient:         p.srv.Client(),
		Now:                clock.Now,
		MinRefreshInterval: time.Minute,
	}
}

// UserClaims are the claims of a valid Entra v2 delegated access token.
func (p *testIdP) UserClaims(now time.Time) jwt.MapClaims {
	return jwt.MapClaims{
		"iss":                p.Issuer(),
		"sub":                "pairwise-sub-jane",
		"aud":                testAudience,
		"azp":                testClient,
		"scp":                "access_as_user User.Read",
		"tid":                testTenant,
		"oid":                testOID,
		"preferred_username": "jane.smith@company.com",
		"name":               "Jane Smith",
		"ver":                "2.0",
		"iat":                now.Add(-time.Minute).Unix(),
		"nbf":                now.Add(-time.Minute).Unix(),
		"exp":                now.Add(time.Hour).Unix(),
	}
}

// sign makes a compact JWS with k; extra header members are added (nil
// values delete a member).
func sign(t testing.TB, k signingKey, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(k.alg), claims)
	tok.Header["kid"] = k.kid
	for name, v := range header {
		if v == nil {
			delete(tok.Header, name)
		} else {
			tok.Header[name] = v
		}
	}
	s, err := tok.SignedString(k.priv)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

func publicJWK(k signingKey) map[string]string {
	enc := base64.RawURLEncoding.EncodeToString
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "use": "sig", "kid": k.kid, "n": enc(pub.N.Bytes()), "e": enc(big.NewInt(int64(pub.E)).Bytes())}
	case *ecdsa.PublicKey:
		b, err := pub.Bytes()
		if err != nil {
			panic(err)
		}
		size := (len(b) - 1) / 2
		return map[string]string{"kty": "EC", "use": "sig", "kid": k.kid, "crv": pub.Curve.Params().Name, "x": enc(b[1 : 1+size]), "y": enc(b[1+size:])}
	}
	panic("unsupported key")
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// testClock is an injected clock that moves only when told.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock { return &testClock{t: time.Unix(1_800_000_000, 0)} }

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// mustNew builds an authorizer closed when the test ends.
func mustNew(t *testing.T, cfg Config) *Authorizer {
	t.Helper()
	a, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}
