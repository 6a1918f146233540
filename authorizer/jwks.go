package authorizer

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
)

// minRSABits is the smallest RSA modulus accepted from a key set.
const minRSABits = 2048

// jwk holds the public members of a JSON Web Key (RFC 7517) that the
// authorizer reads. x5c, x5u, and private members are never read: keys come
// only from n/e, crv/x/y.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS turns a JWK Set document into verification keys. Keys that
// cannot verify a JWS here are skipped, each with a reason: no kid (a token
// could not name it), use other than "sig", symmetric ("oct") or unknown
// key types, RSA moduli under 2048 bits, invalid EC points. Two keys with
// one kid keep the first. It fails when no usable key is left.
func parseJWKS(data []byte) (StaticKeySet, []string, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("decode JWK set: %w", err)
	}
	var (
		keys    StaticKeySet
		skipped []string
		seen    = map[string]bool{}
	)
	for i, raw := range doc.Keys {
		var k jwk
		if err := json.Unmarshal(raw, &k); err != nil {
			skipped = append(skipped, fmt.Sprintf("key %d: not a JWK", i))
			continue
		}
		pk, err := k.publicKey()
		switch {
		case err != nil:
			skipped = append(skipped, fmt.Sprintf("key %d (kid %s): %v", i, quoteClaim(k.Kid), err))
		case seen[k.Kid]:
			skipped = append(skipped, fmt.Sprintf("key %d (kid %s): duplicate kid", i, quoteClaim(k.Kid)))
		default:
			seen[k.Kid] = true
			keys = append(keys, pk)
		}
	}
	if len(keys) == 0 {
		return nil, skipped, fmt.Errorf("JWK set has no usable signing key (%d listed)", len(doc.Keys))
	}
	return keys, skipped, nil
}

func (k jwk) publicKey() (PublicKey, error) {
	if k.Kid == "" {
		return PublicKey{}, fmt.Errorf("no kid")
	}
	if k.Use != "" && k.Use != "sig" {
		return PublicKey{}, fmt.Errorf("use %s is not sig", quoteClaim(k.Use))
	}
	if k.Alg != "" && !slices.Contains(supportedAlgorithms, k.Alg) {
		return PublicKey{}, fmt.Errorf("alg %s is not a supported signature algorithm", quoteClaim(k.Alg))
	}
	pk := PublicKey{KeyID: k.Kid, Algorithm: k.Alg}
	switch k.Kty {
	case "RSA":
		key, err := k.rsa()
		if err != nil {
			return PublicKey{}, err
		}
		pk.Key = key
	case "EC":
		key, err := k.ec()
		if err != nil {
			return PublicKey{}, err
		}
		pk.Key = key
	case "OKP":
		if k.Crv != "Ed25519" {
			return PublicKey{}, fmt.Errorf("OKP curve %s is not Ed25519", quoteClaim(k.Crv))
		}
		x, err := b64(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return PublicKey{}, fmt.Errorf("bad Ed25519 x")
		}
		pk.Key = ed25519.PublicKey(x)
	default:
		return PublicKey{}, fmt.Errorf("key type %s cannot verify an asymmetric signature", quoteClaim(k.Kty))
	}
	if pk.Algorithm != "" && !keyFits(pk.Key, pk.Algorithm) {
		return PublicKey{}, fmt.Errorf("alg %s does not fit a %s key", quoteClaim(k.Alg), k.Kty)
	}
	return pk, nil
}

func (k jwk) rsa() (*rsa.PublicKey, error) {
	n, err := b64(k.N)
	if err != nil || len(n) == 0 {
		return nil, fmt.Errorf("bad RSA modulus")
	}
	e, err := b64(k.E)
	if err != nil || len(e) == 0 || len(e) > 4 {
		return nil, fmt.Errorf("bad RSA exponent")
	}
	var exp int
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	if exp < 3 || exp%2 == 0 {
		return nil, fmt.Errorf("bad RSA exponent")
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
	if key.N.BitLen() < minRSABits {
		return nil, fmt.Errorf("RSA modulus of %d bits is under %d", key.N.BitLen(), minRSABits)
	}
	return key, nil
}

func (k jwk) ec() (*ecdsa.PublicKey, error) {
	var curve elliptic.Curve
	switch k.Crv {
	case "P-256":
		curve = elliptic.P256()
	case "P-384":
		curve = elliptic.P384()
	case "P-521":
		curve = elliptic.P521()
	default:
		return nil, fmt.Errorf("EC curve %s is not supported", quoteClaim(k.Crv))
	}
	size := (curve.Params().BitSize + 7) / 8
	x, errX := b64(k.X)
	y, errY := b64(k.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return nil, fmt.Errorf("bad EC coordinates")
	}
	point := append(append([]byte{4}, x...), y...)
	key, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("EC point is not on %s", k.Crv)
	}
	return key, nil
}

// b64 decodes a JWK member: base64url without padding (RFC 7517), with
// stray padding tolerated.
func b64(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(strings.TrimRight(s, "="))
}
