package authorizer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
)

// PublicKey is one verification key from an issuer's key set.
type PublicKey struct {
	// KeyID is the JWK "kid" a token names in its header.
	KeyID string
	// Algorithm is the JWK "alg", empty when the key set did not restrict
	// the key to one algorithm. When set, a token must use exactly it.
	Algorithm string
	// Key is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Key crypto.PublicKey
}

// KeySet finds the verification key a token names. Implementations return
// an error wrapping ErrUnknownKey when no key has the kid, and one wrapping
// ErrKeySetUnavailable when the keys could not be loaded.
//
// StaticKeySet serves fixed keys (tests, pinned keys); New uses a remote key
// set that follows the discovery document's jwks_uri.
type KeySet interface {
	Key(ctx context.Context, kid string) (PublicKey, error)
}

// StaticKeySet is a KeySet of fixed keys.
type StaticKeySet []PublicKey

// Key returns the key whose KeyID is kid.
func (s StaticKeySet) Key(_ context.Context, kid string) (PublicKey, error) {
	for _, k := range s {
		if k.KeyID == kid {
			return k, nil
		}
	}
	return PublicKey{}, fmt.Errorf("%w: kid %s", ErrUnknownKey, quoteClaim(kid))
}

// keyFits reports whether key can verify a signature made with alg. The JWS
// library checks this too; checking first gives a clear ErrAlgorithm instead
// of a generic signature failure, and keeps an RSA key from ever being
// offered to a MAC.
func keyFits(key crypto.PublicKey, alg string) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		switch alg {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
			return true
		}
	case *ecdsa.PublicKey:
		switch alg {
		case "ES256":
			return k.Curve.Params().Name == "P-256"
		case "ES384":
			return k.Curve.Params().Name == "P-384"
		case "ES512":
			return k.Curve.Params().Name == "P-521"
		}
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
