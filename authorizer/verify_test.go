package authorizer

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestVerifyAcceptsValidUserToken(t *testing.T) {
	p, clock := startIdP(t), newClock()
	cfg := p.Config(clock)
	cfg.AllowedScopes = []string{"access_as_user"}
	a := mustNew(t, cfg)
	now := clock.Now()

	got, err := a.Verify(t.Context(), sign(t, keyA(), p.UserClaims(now), nil))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := &Claims{
		Issuer:            p.Issuer(),
		Subject:           "pairwise-sub-jane",
		ClientID:          testClient,
		TenantID:          testTenant,
		ObjectID:          testOID,
		PreferredUsername: "jane.smith@company.com",
		Name:              "Jane Smith",
		Audience:          []string{testAudience},
		Scopes:            []string{"access_as_user", "User.Read"},
		ExpiresAt:         now.Add(time.Hour),
		IssuedAt:          now.Add(-time.Minute),
		NotBefore:         now.Add(-time.Minute),
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Claims{}, "Raw")); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	if got.Raw["ver"] != "2.0" || got.Raw["oid"] != testOID {
		t.Errorf("Raw = %v, want ver 2.0 and oid %s", got.Raw, testOID)
	}
}

func TestVerifyReadsEntraV1AndRFC9068ClientClaims(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	for _, claim := range []string{"appid", "client_id"} {
		c := p.UserClaims(clock.Now())
		delete(c, "azp")
		c[claim] = testClient
		c["scope"], c["scp"] = []string{"a", "b"}, nil
		delete(c, "scp")
		got, err := a.Verify(t.Context(), sign(t, keyA(), c, nil))
		if err != nil {
			t.Fatalf("%s: Verify: %v", claim, err)
		}
		if got.ClientID != testClient || !cmp.Equal(got.Scopes, []string{"a", "b"}) {
			t.Errorf("%s: ClientID %q Scopes %v; want %q [a b]", claim, got.ClientID, got.Scopes, testClient)
		}
	}
}

func TestVerifyAcceptsES256(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.Publish(keyA(), keyEC())
	a := mustNew(t, p.Config(clock))
	got, err := a.Verify(t.Context(), sign(t, keyEC(), p.UserClaims(clock.Now()), nil))
	if err != nil {
		t.Fatalf("Verify ES256: %v", err)
	}
	if got.Subject != "pairwise-sub-jane" {
		t.Errorf("Subject = %q", got.Subject)
	}
}

// with returns c changed by set (nil values delete the claim).
func with(c jwt.MapClaims, set map[string]any) jwt.MapClaims {
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestVerifyRefusals(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.Publish(keyA(), keyEC())
	cfg := p.Config(clock)
	cfg.AllowedScopes = []string{"access_as_user"}
	cfg.Algorithms = []string{"RS256", "ES256"}
	a := mustNew(t, cfg)
	now := clock.Now()

	// An attacker's JWKS server: the authorizer must never call it.
	var attackerHits atomic.Int64
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attackerHits.Add(1)
		writeJSON(w, map[string]any{"keys": []any{publicJWK(signingKey{"evil", "RS256", rsaEvil})}})
	}))
	defer attacker.Close()

	user := func(set map[string]any) jwt.MapClaims { return with(p.UserClaims(now), set) }
	signA := func(set map[string]any) string { return sign(t, keyA(), user(set), nil) }
	b64 := base64.RawURLEncoding.EncodeToString
	pubPEM := func() []byte {
		der, err := x509.MarshalPKIXPublicKey(rsaA.Public())
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}

	tests := []struct {
		name  string
		token func() string
		want  error
	}{
		{"empty", func() string { return "" }, ErrMissingToken},
		{"garbage abc", func() string { return "abc" }, ErrMalformed},
		{"garbage a.b.c", func() string { return "a.b.c" }, ErrMalformed},
		{"two segments", func() string { return "a.b" }, ErrMalformed},
		{"four segments", func() string { return signA(nil) + ".x" }, ErrMalformed},
		{"header not JSON", func() string { return b64([]byte("nope")) + "." + b64([]byte("{}")) + ".c2ln" }, ErrMalformed},
		{"oversized", func() string {
			return signA(map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenBytes)})
		}, ErrTooLarge},
		{"alg none", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodNone, user(nil))
			tok.Header["kid"] = "kA"
			s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, ErrAlgorithm},
		{"alg none with a signature of the real token", func() string {
			parts := strings.Split(signA(nil), ".")
			return b64([]byte(`{"alg":"none","kid":"kA"}`)) + "." + parts[1] + "." + parts[2]
		}, ErrAlgorithm},
		{"HS256 keyed with the IdP's RSA public key (key confusion)", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS256, user(nil))
			tok.Header["kid"] = "kA"
			s, err := tok.SignedString(pubPEM())
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, ErrAlgorithm},
		{"unknown alg", func() string {
			parts := strings.Split(signA(nil), ".")
			return b64([]byte(`{"alg":"XYZ","kid":"kA"}`)) + "." + parts[1] + "." + parts[2]
		}, ErrAlgorithm},
		{"allowed alg the key cannot verify (ES256 naming an RSA kid)", func() string {
			return sign(t, signingKey{"kA", "ES256", ecA}, user(nil), nil)
		}, ErrAlgorithm},
		{"signed by another RSA key with the same kid", func() string {
			return sign(t, keyEvil(), user(nil), nil)
		}, ErrSignature},
		{"tampered payload", func() string {
			parts := strings.Split(signA(nil), ".")
			forged, _ := json.Marshal(user(map[string]any{"preferred_username": "admin@company.com"}))
			return parts[0] + "." + b64(forged) + "." + parts[2]
		}, ErrSignature},
		{"tampered header alg RS256 to RS512", func() string {
			parts := strings.Split(signA(nil), ".")
			return b64([]byte(`{"alg":"RS512","kid":"kA","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]
		}, ErrAlgorithm}, // RS512 is not in this test's allow-list
		{"signature stripped", func() string {
			parts := strings.Split(signA(nil), ".")
			return parts[0] + "." + parts[1] + "."
		}, ErrSignature},
		{"embedded jwk, jku and x5u headers naming the attacker's key", func() string {
			evil := publicJWK(signingKey{"evil", "RS256", rsaEvil})
			return sign(t, signingKey{"evil", "RS256", rsaEvil}, user(nil), map[string]any{
				"jwk": evil, "jku": attacker.URL, "x5u": attacker.URL,
			})
		}, ErrUnknownKey},
		{"embedded jwk with the IdP's kid", func() string {
			evil := publicJWK(keyEvil())
			return sign(t, keyEvil(), user(nil), map[string]any{"jwk": evil, "jku": attacker.URL})
		}, ErrSignature},
		{"no kid", func() string { return sign(t, keyA(), user(nil), map[string]any{"kid": nil}) }, ErrUnknownKey},
		{"crit header", func() string { return sign(t, keyA(), user(nil), map[string]any{"crit": []string{"b64"}}) }, ErrMalformed},
		{"wrong aud", func() string { return signA(map[string]any{"aud": "api://someone-else"}) }, ErrAudience},
		{"no aud", func() string { return signA(map[string]any{"aud": nil}) }, ErrAudience},
		{"wrong iss", func() string { return signA(map[string]any{"iss": "https://evil.example/v2.0"}) }, ErrIssuer},
		{"iss with a trailing slash", func() string { return signA(map[string]any{"iss": p.Issuer() + "/"}) }, ErrIssuer},
		{"no iss", func() string { return signA(map[string]any{"iss": nil}) }, ErrIssuer},
		{"wrong client", func() string { return signA(map[string]any{"azp": "22222222-0000-4000-8000-0000000000c2"}) }, ErrClient},
		{"no client claim", func() string { return signA(map[string]any{"azp": nil}) }, ErrClient},
		{"expired", func() string { return signA(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()}) }, ErrExpired},
		{"nbf in the future", func() string { return signA(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()}) }, ErrNotYetValid},
		{"iat in the future", func() string { return signA(map[string]any{"iat": now.Add(2 * time.Minute).Unix()}) }, ErrNotYetValid},
		{"missing exp", func() string { return signA(map[string]any{"exp": nil}) }, ErrMissingExpiry},
		{"exp is a string", func() string { return signA(map[string]any{"exp": "tomorrow"}) }, ErrMalformed},
		{"unknown kid", func() string { return sign(t, signingKey{"kZ", "RS256", rsaEvil}, user(nil), nil) }, ErrUnknownKey},
		{"app-only token (roles, no scp)", func() string {
			return signA(map[string]any{"scp": nil, "roles": []string{"Incidents.Read.All"}, "sub": testOID})
		}, ErrNotUserToken},
		{"idtyp app", func() string { return signA(map[string]any{"idtyp": "app"}) }, ErrNotUserToken},
		{"no sub", func() string { return signA(map[string]any{"sub": nil}) }, ErrNotUserToken},
		{"sub is the client id", func() string { return signA(map[string]any{"sub": testClient}) }, ErrNotUserToken},
		{"no delegated scopes (an ID token)", func() string { return signA(map[string]any{"scp": nil, "nonce": "n"}) }, ErrNotUserToken},
		{"no allowed scope", func() string { return signA(map[string]any{"scp": "User.Read"}) }, ErrScope},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := tt.token()
			_, err := a.Verify(t.Context(), tok)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v; want errors.Is %v", err, tt.want)
			}
			if other := sentinelOf(err); other != tt.want {
				t.Errorf("first sentinel = %v; want %v", other, tt.want)
			}
			t.Log(err)
			assertNoTokenIn(t, tok, err.Error())
			assertNoTokenIn(t, tok, Challenge(err, "onbehalf"))
		})
	}
	if n := attackerHits.Load(); n != 0 {
		t.Errorf("attacker's key URL fetched %d times; want 0", n)
	}
}

// assertNoTokenIn fails if s contains the token or any segment of it.
func assertNoTokenIn(t *testing.T, token, s string) {
	t.Helper()
	if token != "" && strings.Contains(s, token) {
		t.Fatalf("%q contains the token", s)
	}
	for _, seg := range strings.Split(token, ".") {
		if len(seg) >= 8 && strings.Contains(s, seg) {
			t.Fatalf("%q contains a token segment", s)
		}
	}
}

func TestClaimFailuresFetchNothing(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	now := clock.Now()
	for _, set := range []map[string]any{
		{"aud": "other"},
		{"azp": "other"},
		{"exp": now.Add(-time.Hour).Unix()},
		{"scp": nil, "roles": []string{"x"}},
	} {
		tok := sign(t, signingKey{"unknown-kid", "RS256", rsaEvil}, with(p.UserClaims(now), set), nil)
		if _, err := a.Verify(t.Context(), tok); err == nil {
			t.Fatalf("Verify(%v) = nil error", set)
		}
	}
	if d, j := p.discoveryHits.Load(), p.jwksHits.Load(); d != 0 || j != 0 {
		t.Errorf("discovery %d, JWKS %d requests; want 0, 0 (claim checks run before any fetch)", d, j)
	}
}

func TestVerifyHonoursClockSkew(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	now := clock.Now()
	within := sign(t, keyA(), with(p.UserClaims(now), map[string]any{
		"exp": now.Add(-30 * time.Second).Unix(),
		"nbf": now.Add(30 * time.Second).Unix(),
		"iat": now.Add(30 * time.Second).Unix(),
	}), nil)
	if _, err := a.Verify(t.Context(), within); err != nil {
		t.Errorf("token within the default 60s skew: %v; want accepted", err)
	}
}

func TestClockSkewIsCappedAtFiveMinutes(t *testing.T) {
	p, clock := startIdP(t), newClock()
	cfg := p.Config(clock)
	cfg.ClockSkew = time.Hour
	a := mustNew(t, cfg)
	now := clock.Now()
	for _, tt := range []struct {
		exp  time.Duration
		want error
	}{{-4 * time.Minute, nil}, {-6 * time.Minute, ErrExpired}} {
		tok := sign(t, keyA(), with(p.UserClaims(now), map[string]any{"exp": now.Add(tt.exp).Unix(), "iat": nil, "nbf": nil}), nil)
		if _, err := a.Verify(t.Context(), tok); !errors.Is(err, tt.want) && (err != nil || tt.want != nil) {
			t.Errorf("exp %s ago with ClockSkew 1h: %v; want %v", -tt.exp, err, tt.want)
		}
	}
}

func TestMaxTokenBytesIsConfigurable(t *testing.T) {
	p, clock := startIdP(t), newClock()
	cfg := p.Config(clock)
	cfg.MaxTokenBytes = 64
	a := mustNew(t, cfg)
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)
	if _, err := a.Verify(t.Context(), tok); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d-byte token with MaxTokenBytes 64: %v; want ErrTooLarge", len(tok), err)
	}
}

func TestEntraMultiTenantIssuerTemplate(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.SetIssuer("https://login.microsoftonline.com/{tenantid}/v2.0")
	a := mustNew(t, p.Config(clock))
	now := clock.Now()
	other := "d1d1d1d1-0000-4000-8000-000000000099"
	tests := []struct {
		name     string
		iss, tid any
		want     error
	}{
		{"token of the home tenant", "https://login.microsoftonline.com/" + testTenant + "/v2.0", testTenant, nil},
		{"token of another tenant", "https://login.microsoftonline.com/" + other + "/v2.0", other, nil},
		{"iss tenant differs from tid", "https://login.microsoftonline.com/" + other + "/v2.0", testTenant, ErrIssuer},
		{"tid is not a GUID", "https://login.microsoftonline.com/common/v2.0", "common", ErrIssuer},
		{"iss is the template itself", "https://login.microsoftonline.com/{tenantid}/v2.0", testTenant, ErrIssuer},
		{"no tid", "https://login.microsoftonline.com/" + testTenant + "/v2.0", nil, ErrIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := sign(t, keyA(), with(p.UserClaims(now), map[string]any{"iss": tt.iss, "tid": tt.tid}), nil)
			_, err := a.Verify(t.Context(), tok)
			if tt.want == nil && err != nil || !errors.Is(err, tt.want) && tt.want != nil {
				t.Errorf("Verify: %v; want %v", err, tt.want)
			}
		})
	}
}

func TestNewWithStaticKeySet(t *testing.T) {
	testKeys(t)
	clock := newClock()
	iss := "https://idp.example/" + testTenant + "/v2.0"
	a, err := NewWithKeySet(iss, StaticKeySet{{KeyID: "kA", Algorithm: "RS256", Key: rsaA.Public()}}, Config{
		AllowedAudiences: []string{testAudience},
		Now:              clock.Now,
	})
	if err != nil {
		t.Fatalf("NewWithKeySet: %v", err)
	}
	defer a.Close()
	claims := (&testIdP{issuer: iss}).UserClaims(clock.Now())
	if _, err := a.Verify(t.Context(), sign(t, keyA(), claims, nil)); err != nil {
		t.Errorf("Verify with static key: %v", err)
	}
	if _, err := a.Verify(t.Context(), sign(t, keyB(), claims, nil)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify with a kid not in the set: %v; want ErrUnknownKey", err)
	}
	// A JWK "alg" pins the key to one algorithm.
	ps := sign(t, signingKey{"kA", "PS256", rsaA}, claims, nil)
	if _, err := a.Verify(t.Context(), ps); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("PS256 token for a key pinned to RS256: %v; want ErrAlgorithm", err)
	}
}

func TestLogsNeverContainTheToken(t *testing.T) {
	p, clock := startIdP(t), newClock()
	var buf bytes.Buffer
	cfg := p.Config(clock)
	cfg.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	a := mustNew(t, cfg)
	now := clock.Now()
	toks := []string{
		sign(t, keyA(), p.UserClaims(now), nil),
		sign(t, keyEvil(), p.UserClaims(now), nil),
		sign(t, keyA(), with(p.UserClaims(now), map[string]any{"aud": "x"}), nil),
		sign(t, signingKey{"kZ", "RS256", rsaB}, p.UserClaims(now), nil),
	}
	for _, tok := range toks {
		_, _ = a.Verify(t.Context(), tok)
	}
	if !strings.Contains(buf.String(), "token_sha256=") {
		t.Errorf("refusals were not logged with a token hash:\n%s", buf.String())
	}
	for _, tok := range toks {
		assertNoTokenIn(t, tok, buf.String())
	}
}

func BenchmarkVerifyWarm(b *testing.B) {
	testKeys(b)
	clock := newClock()
	iss := "https://idp.example/" + testTenant + "/v2.0"
	a, err := NewWithKeySet(iss, StaticKeySet{{KeyID: "kA", Key: rsaA.Public()}}, Config{AllowedAudiences: []string{testAudience}, Now: clock.Now})
	if err != nil {
		b.Fatal(err)
	}
	tok := sign(b, keyA(), (&testIdP{issuer: iss}).UserClaims(clock.Now()), nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(context.Background(), tok); err != nil {
			b.Fatal(err)
		}
	}
}
