package identity_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// cpWorld is a broker on a SQLite store with a fake user-token verifier
// (tokens "hdr.<sub>.sig", issuer https://fake-idp) and no configured
// records unless mod adds them.
type cpWorld struct {
	t   *testing.T
	clk *clock
	st  store.Store
	kr  *keyring.Keyring
	b   *identity.Broker
	cfg identity.Config
}

func fakeVerifier(clk *clock) func(context.Context, string) (identity.UserClaims, error) {
	return func(_ context.Context, raw string) (identity.UserClaims, error) {
		parts := strings.Split(raw, ".")
		if len(parts) != 3 || parts[0] != "hdr" {
			return identity.UserClaims{}, errors.New("not a user token")
		}
		return identity.UserClaims{Issuer: "https://fake-idp", Subject: parts[1], ExpiresAt: clk.Now().Add(time.Hour)}, nil
	}
}

func newCPWorld(t *testing.T, mod func(*identity.Config)) *cpWorld {
	t.Helper()
	w := &cpWorld{t: t, clk: &clock{now: time.Date(2025, 11, 25, 12, 0, 0, 0, time.UTC)}}
	st, err := store.Open(context.Background(), "sqlite:"+t.TempDir()+"/onbehalf.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w.st = st
	if w.kr, err = keyring.Generate(); err != nil {
		t.Fatal(err)
	}
	w.cfg = identity.Config{
		Store:           st,
		Keyring:         w.kr,
		OAuth:           &oauth.Client{Now: w.clk.Now, RetryBackoff: time.Millisecond},
		VerifyUserToken: fakeVerifier(w.clk),
		CallbackBaseURL: "https://broker.example",
		Now:             w.clk.Now,
	}
	if mod != nil {
		mod(&w.cfg)
	}
	if w.b, err = identity.New(w.cfg); err != nil {
		t.Fatalf("identity.New: %v", err)
	}
	return w
}

// replica is another broker on the same store and keyring.
func (w *cpWorld) replica(mod func(*identity.Config)) *identity.Broker {
	w.t.Helper()
	cfg := w.cfg
	if mod != nil {
		mod(&cfg)
	}
	b, err := identity.New(cfg)
	if err != nil {
		w.t.Fatalf("identity.New (replica): %v", err)
	}
	return b
}

// articleProvider is the article's Step 2a input, verbatim JSON.
func articleProvider(t *testing.T, discoveryURL, secret string) identity.CreateOauth2CredentialProviderInput {
	t.Helper()
	raw := fmt.Sprintf(`{
		"name": "EntraIdServiceNow",
		"credentialProviderVendor": "CustomOauth2",
		"oauth2ProviderConfigInput": {
			"customOauth2ProviderConfig": {
				"oauthDiscovery": {"discoveryUrl": %q},
				"clientId": "a9e17000-0000-4000-8000-000000000002",
				"clientSecret": %q,
				"onBehalfOfTokenExchangeConfig": {"grantType": "JWT_AUTHORIZATION_GRANT"}
			}
		}
	}`, discoveryURL, secret)
	var in identity.CreateOauth2CredentialProviderInput
	if err := json.Unmarshal([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// customProvider is a CustomOauth2 provider at discoveryURL.
func customProvider(name, discoveryURL, secret string) identity.CreateOauth2CredentialProviderInput {
	return identity.CreateOauth2CredentialProviderInput{
		Name: name, CredentialProviderVendor: identity.VendorCustomOauth2,
		Oauth2ProviderConfigInput: identity.Oauth2ProviderConfigInput{CustomOauth2ProviderConfig: &identity.CustomOauth2ProviderConfigInput{
			OauthDiscovery: identity.Oauth2Discovery{DiscoveryURL: discoveryURL},
			ClientID:       "agent", ClientSecret: secret,
			OnBehalfOfTokenExchangeConfig: &identity.OnBehalfOfTokenExchangeConfig{GrantType: identity.GrantJWTAuthorization},
		}},
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fieldNames lists the fieldList of a ValidationException.
func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	ie := wantErr(t, err, identity.ValidationException)
	if ie.Reason != identity.ReasonFieldValidationFailed {
		t.Errorf("reason = %q, want FieldValidationFailed", ie.Reason)
	}
	var names []string
	for _, f := range ie.Fields {
		names = append(names, f.Name)
	}
	return names
}

func toUpdate(in identity.CreateOauth2CredentialProviderInput) identity.UpdateOauth2CredentialProviderInput {
	return identity.UpdateOauth2CredentialProviderInput{Name: in.Name, CredentialProviderVendor: in.CredentialProviderVendor, Oauth2ProviderConfigInput: in.Oauth2ProviderConfigInput}
}

// basic is an RFC 6749 §2.3.1 Basic header value.
func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id)+":"+url.QueryEscape(secret)))
}

func mustGeneratePEM(t *testing.T) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}
