package authorizer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestParseJWKSKeepsOnlyUsableSigningKeys(t *testing.T) {
	testKeys(t)
	enc := base64.RawURLEncoding.EncodeToString
	rsaJWK := publicJWK(keyA())
	ecJWK := publicJWK(keyEC())
	edPub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	small := make([]byte, 128) // a 1024-bit modulus
	small[0] = 0x80
	small[127] = 1

	doc := map[string]any{"keys": []any{
		rsaJWK,
		ecJWK,
		map[string]string{"kty": "OKP", "crv": "Ed25519", "kid": "kEd", "x": enc(edPub)},
		map[string]string{"kty": "oct", "kid": "kHMAC", "k": enc([]byte("shared secret"))},
		map[string]string{"kty": "RSA", "kid": "kSmall", "n": enc(small), "e": "AQAB"},
		map[string]string{"kty": "RSA", "kid": "kEnc", "use": "enc", "n": rsaJWK["n"], "e": "AQAB"},
		map[string]string{"kty": "RSA", "n": rsaJWK["n"], "e": "AQAB"}, // no kid
		map[string]string{"kty": "RSA", "kid": "kHS", "alg": "HS256", "n": rsaJWK["n"], "e": "AQAB"},
		map[string]string{"kty": "RSA", "kid": "kMismatch", "alg": "ES256", "n": rsaJWK["n"], "e": "AQAB"},
		map[string]string{"kty": "EC", "kid": "kOffCurve", "crv": "P-256", "x": ecJWK["x"], "y": ecJWK["x"]},
		map[string]string{"kty": "RSA", "kid": "kA", "n": enc(small), "e": "AQAB"}, // duplicate kid
		"not an object",
	}}
	raw, _ := json.Marshal(doc)
	keys, skipped, err := parseJWKS(raw)
	if err != nil {
		t.Fatalf("parseJWKS: %v", err)
	}
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.KeyID)
	}
	if got := strings.Join(ids, ","); got != "kA,kEC,kEd" {
		t.Errorf("kept %s; want kA,kEC,kEd", got)
	}
	if _, ok := keys[0].Key.(*rsa.PublicKey); !ok {
		t.Errorf("kA is %T; want *rsa.PublicKey", keys[0].Key)
	}
	if _, ok := keys[1].Key.(*ecdsa.PublicKey); !ok {
		t.Errorf("kEC is %T; want *ecdsa.PublicKey", keys[1].Key)
	}
	if len(skipped) != 9 {
		t.Errorf("skipped %d keys; want 9:\n%s", len(skipped), strings.Join(skipped, "\n"))
	}
}

func TestParseJWKSWithNoUsableKeyFails(t *testing.T) {
	for _, doc := range []string{`{"keys":[]}`, `{"keys":[{"kty":"oct","kid":"x","k":"c2VjcmV0"}]}`, `not json`} {
		if _, _, err := parseJWKS([]byte(doc)); err == nil {
			t.Errorf("parseJWKS(%s) = nil error; want failure", doc)
		}
	}
}
