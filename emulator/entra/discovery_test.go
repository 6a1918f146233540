package entra_test

import (
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func TestDiscoveryDocumentHasEntraShape(t *testing.T) {
	tn := start(t)
	r := get(t, tn.srv.DiscoveryURL())
	if r.status != http.StatusOK {
		t.Fatalf("discovery = %d %s", r.status, r)
	}
	base := tn.url + "/" + entra.DevTenantID
	wantStr := map[string]string{
		"issuer":                 base + "/v2.0",
		"authorization_endpoint": base + "/oauth2/v2.0/authorize",
		"token_endpoint":         base + "/oauth2/v2.0/token",
		"jwks_uri":               base + "/discovery/v2.0/keys",
		"end_session_endpoint":   base + "/oauth2/v2.0/logout",
		"tenant_region_scope":    "NA",
	}
	for k, want := range wantStr {
		if got := r.str(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if tn.srv.Issuer() != base+"/v2.0" || tn.srv.TokenURL() != base+"/oauth2/v2.0/token" {
		t.Errorf("Issuer()/TokenURL() = %q/%q disagree with the document", tn.srv.Issuer(), tn.srv.TokenURL())
	}
	wantList := map[string][]string{
		"subject_types_supported":               {"pairwise"},
		"id_token_signing_alg_values_supported": {"RS256"},
		"response_types_supported":              {"code", "id_token", "code id_token", "id_token token"},
		"token_endpoint_auth_methods_supported": {"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"scopes_supported":                      {"openid", "profile", "email", "offline_access"},
	}
	for k, want := range wantList {
		if got := strList(r.body[k]); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	for _, c := range []string{"sub", "iss", "aud", "preferred_username", "name", "tid", "ver"} {
		if !slices.Contains(strList(r.body["claims_supported"]), c) {
			t.Errorf("claims_supported lacks %q", c)
		}
	}
}

func TestDiscoveryForCommonPublishesIssuerTemplate(t *testing.T) {
	tn := start(t)
	for _, alias := range []string{"common", "organizations"} {
		r := get(t, tn.url+"/"+alias+"/v2.0/.well-known/openid-configuration")
		if r.status != http.StatusOK {
			t.Fatalf("%s discovery = %d %s", alias, r.status, r)
		}
		if got, want := r.str("issuer"), tn.url+"/{tenantid}/v2.0"; got != want {
			t.Errorf("%s issuer = %q, want template %q", alias, got, want)
		}
		if got, want := r.str("token_endpoint"), tn.url+"/"+alias+"/oauth2/v2.0/token"; got != want {
			t.Errorf("%s token_endpoint = %q, want %q", alias, got, want)
		}
	}
}

func TestUnknownTenantAnswersInvalidTenant(t *testing.T) {
	tn := start(t)
	other := "deadbeef-0000-4000-8000-000000000000"
	for _, path := range []string{"/v2.0/.well-known/openid-configuration", "/discovery/v2.0/keys"} {
		r := get(t, tn.url+"/"+other+path)
		text := wantError(t, r, http.StatusBadRequest, "invalid_tenant", 90002)
		if !strings.Contains(text, other) {
			t.Errorf("%s: description %q does not name the tenant", path, text)
		}
	}
}

func TestJWKSPublishesTheSigningKeyWithCertificate(t *testing.T) {
	tn := start(t)
	r := get(t, tn.url+"/"+entra.DevTenantID+"/discovery/v2.0/keys")
	if r.status != http.StatusOK {
		t.Fatalf("keys = %d %s", r.status, r)
	}
	keys, _ := r.body["keys"].([]any)
	if len(keys) != 1 {
		t.Fatalf("keys = %v, want one key", r.body["keys"])
	}
	k, _ := keys[0].(map[string]any)
	for field, want := range map[string]string{"kty": "RSA", "use": "sig", "e": "AQAB", "issuer": tn.srv.Issuer()} {
		if k[field] != want {
			t.Errorf("key %s = %v, want %q", field, k[field], want)
		}
	}
	if k["kid"] == "" || k["kid"] != k["x5t"] {
		t.Errorf("kid %v and x5t %v should be equal and non-empty, as at Entra", k["kid"], k["x5t"])
	}
	x5c := strList(k["x5c"])
	if len(x5c) != 1 {
		t.Fatalf("x5c = %v, want one certificate", k["x5c"])
	}
	der, err := base64.StdEncoding.DecodeString(x5c[0])
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x5c is not a certificate: %v", err)
	}
	thumb := sha1.Sum(der)
	if got := base64.RawURLEncoding.EncodeToString(thumb[:]); got != k["x5t"] {
		t.Errorf("x5t = %v, want the certificate thumbprint %s", k["x5t"], got)
	}
	n, _ := k["n"].(string)
	if got := base64.RawURLEncoding.EncodeToString(testKey(t, 0).N.Bytes()); n != got {
		t.Errorf("n does not match the configured signing key")
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&testKey(t, 0).PublicKey) {
		t.Errorf("certificate key is not the signing key")
	}
}

func TestTokenVerifiesWithKeysFetchedFromJWKS(t *testing.T) {
	tn := start(t)
	header, claims := tn.verify(t, tn.tokenA(t))
	if header["alg"] != "RS256" || header["typ"] != "JWT" || header["kid"] == nil || header["kid"] != header["x5t"] {
		t.Errorf("header = %v, want alg RS256, typ JWT, kid == x5t", header)
	}
	if claims["iss"] != tn.srv.Issuer() {
		t.Errorf("iss = %v, want %s", claims["iss"], tn.srv.Issuer())
	}
}

func TestKeyIDIsStableForTheSameKey(t *testing.T) {
	a, b := start(t), start(t)
	ka := get(t, a.url+"/"+entra.DevTenantID+"/discovery/v2.0/keys")
	kb := get(t, b.url+"/"+entra.DevTenantID+"/discovery/v2.0/keys")
	kidA := ka.body["keys"].([]any)[0].(map[string]any)["kid"]
	kidB := kb.body["keys"].([]any)[0].(map[string]any)["kid"]
	if kidA != kidB {
		t.Errorf("kid %v != %v for the same signing key", kidA, kidB)
	}
	c := start(t, func(c *entra.Config) { c.SigningKey = testKey(t, 1) })
	kc := get(t, c.url+"/"+entra.DevTenantID+"/discovery/v2.0/keys")
	if kc.body["keys"].([]any)[0].(map[string]any)["kid"] == kidA {
		t.Errorf("two different keys got the same kid")
	}
}

func strList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
