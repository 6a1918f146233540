package oauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/onbehalf/onbehalf/oauth"
)

func TestPKCEChallengeIsRFC7636AppendixB(t *testing.T) {
	// RFC 7636 Appendix B's example.
	if got := oauth.PKCEChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("challenge = %s", got)
	}
	v1, err1 := oauth.NewPKCEVerifier()
	v2, err2 := oauth.NewPKCEVerifier()
	if err1 != nil || err2 != nil || len(v1) != 43 || v1 == v2 {
		t.Errorf("verifiers %q %q (%v %v), want two distinct 43-character values", v1, v2, err1, err2)
	}
}

func TestAuthCodeURLCarriesPKCEAndNeverLetsExtrasOverride(t *testing.T) {
	raw, err := oauth.AuthCodeURL("https://idp.example/t/oauth2/v2.0/authorize?p=b2c_1_signin", oauth.AuthCodeRequest{
		ClientID: "client-1", RedirectURI: "https://broker.example/identities/oauth2/callback",
		Scopes: []string{"openid", "offline_access"}, State: "st", CodeChallenge: "ch",
		Resources: []string{"https://api.example/"}, Audiences: []string{"aud-1"},
	}, url.Values{"state": {"forged"}, "redirect_uri": {"https://evil.example/"}, "client_secret": {"x"}, "prompt": {"login"}, "login_hint": {"jane"}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	if u.Host != "idp.example" || u.Path != "/t/oauth2/v2.0/authorize" {
		t.Errorf("URL = %s", raw)
	}
	want := url.Values{
		"p":                     {"b2c_1_signin"},
		"client_id":             {"client-1"},
		"response_type":         {"code"},
		"redirect_uri":          {"https://broker.example/identities/oauth2/callback"},
		"scope":                 {"openid offline_access"},
		"state":                 {"st"},
		"code_challenge":        {"ch"},
		"code_challenge_method": {"S256"},
		"resource":              {"https://api.example/"},
		"audience":              {"aud-1"},
		"prompt":                {"login"},
		"login_hint":            {"jane"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if _, err := oauth.AuthCodeURL("https://idp.example/authorize", oauth.AuthCodeRequest{ClientID: "c", RedirectURI: "r", CodeChallenge: "c"}, nil); err == nil {
		t.Error("AuthCodeURL without state succeeded")
	}
}

func TestAuthorizationCodeSendsVerifierAndIsNeverRetried(t *testing.T) {
	var forms []url.Values
	srv, n := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		forms = append(forms, r.PostForm)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	_, err := newClient().AuthorizationCode(context.Background(), srv.URL, postAuth(), "CODE-1", "https://broker/cb", "VERIFIER", url.Values{"code": {"forged"}})
	if !errors.Is(err, oauth.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if n.Load() != 1 {
		t.Fatalf("requests = %d, want 1 (a code is single-use)", n.Load())
	}
	want := url.Values{
		"grant_type": {"authorization_code"}, "code": {"CODE-1"}, "redirect_uri": {"https://broker/cb"},
		"code_verifier": {"VERIFIER"}, "client_id": {testClientID}, "client_secret": {testSecret},
	}
	if diff := cmp.Diff(want, forms[0]); diff != "" {
		t.Errorf("form (-want +got):\n%s", diff)
	}
}

// assertionServer records the request and answers okBody.
func assertionServer(t *testing.T) (string, func() url.Values) {
	var last url.Values
	srv, _ := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.Header.Get("Authorization") != "" {
			t.Errorf("Authorization header sent with private_key_jwt")
		}
		last = r.PostForm
		io.WriteString(w, okBody)
	})
	return srv.URL + "/token", func() url.Values { return last }
}

func TestPrivateKeyJWTSignsAnRFC7523AssertionForTheTokenEndpoint(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tokenURL, last := assertionServer(t)
	auth := oauth.ClientAuth{ClientID: testClientID, Method: oauth.AuthPrivateKeyJWT, PrivateKey: key, KeyID: "kid-1",
		AssertionClaims: map[string]string{"iss": "forged", "tenant": "t1"}}
	c := newClient()
	if _, err := c.ClientCredentials(context.Background(), tokenURL, auth, []string{"s"}, url.Values{"client_assertion": {"forged"}}); err != nil {
		t.Fatal(err)
	}
	form := last()
	if form.Get("client_assertion_type") != oauth.ClientAssertionType || form.Get("client_id") != testClientID || form.Has("client_secret") {
		t.Fatalf("form = %v", form)
	}
	var claims jwt.MapClaims
	tok, err := jwt.ParseWithClaims(form.Get("client_assertion"), &claims, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return fixedNow }))
	if err != nil {
		t.Fatalf("assertion does not verify: %v", err)
	}
	if tok.Header["kid"] != "kid-1" {
		t.Errorf("kid = %v", tok.Header["kid"])
	}
	want := map[string]any{"iss": testClientID, "sub": testClientID, "aud": tokenURL, "tenant": "t1",
		"iat": float64(fixedNow.Unix()), "nbf": float64(fixedNow.Unix()), "exp": float64(fixedNow.Add(oauth.AssertionLifetime).Unix())}
	jti := claims["jti"]
	delete(claims, "jti")
	if diff := cmp.Diff(want, map[string]any(claims)); diff != "" {
		t.Errorf("claims (-want +got):\n%s", diff)
	}
	// Every request signs a fresh assertion.
	c.ClientCredentials(context.Background(), tokenURL, auth, nil, nil)
	var again jwt.MapClaims
	jwt.ParseWithClaims(last().Get("client_assertion"), &again, func(*jwt.Token) (any, error) { return &key.PublicKey, nil }, jwt.WithTimeFunc(func() time.Time { return fixedNow }))
	if jti == nil || again["jti"] == jti {
		t.Errorf("jti reused: %v", jti)
	}
}

func TestPrivateKeyJWTWithECKeyUsesES256(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tokenURL, last := assertionServer(t)
	auth := oauth.ClientAuth{ClientID: "c", Method: oauth.AuthPrivateKeyJWT, PrivateKey: key}
	if _, err := newClient().ClientCredentials(context.Background(), tokenURL, auth, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := jwt.Parse(last().Get("client_assertion"), func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithTimeFunc(func() time.Time { return fixedNow })); err != nil {
		t.Errorf("ES256 assertion does not verify: %v", err)
	}
}

func TestPrivateKeyJWTMisconfigurationFailsBeforeSending(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tokenURL, last := assertionServer(t)
	for name, auth := range map[string]oauth.ClientAuth{
		"no key":            {ClientID: "c", Method: oauth.AuthPrivateKeyJWT},
		"ES256 with RSA":    {ClientID: "c", Method: oauth.AuthPrivateKeyJWT, PrivateKey: rsaKey, SigningAlgorithm: "ES256"},
		"P-384 key":         {ClientID: "c", Method: oauth.AuthPrivateKeyJWT, PrivateKey: p384},
		"unknown algorithm": {ClientID: "c", Method: oauth.AuthPrivateKeyJWT, PrivateKey: rsaKey, SigningAlgorithm: "HS256"},
	} {
		_, err := newClient().ClientCredentials(context.Background(), tokenURL, auth, nil, nil)
		if err == nil || errors.Is(err, oauth.ErrUnavailable) || !strings.Contains(err.Error(), "private_key_jwt") {
			t.Errorf("%s: err = %v, want a private_key_jwt configuration error", name, err)
		}
	}
	if last() != nil {
		t.Error("a request was sent")
	}
}
