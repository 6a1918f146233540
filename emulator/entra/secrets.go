package entra

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
)

// randomToken is an opaque secret (codes, refresh tokens, cookies, page
// request ids): prefix + n random bytes in base64url.
func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// storeKey is how the server keys a secret it hands out: by its SHA-256,
// so that the maps hold no usable secret.
func storeKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// originOf is the scheme://host[:port] of an absolute URL ("" if none).
func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// maxStored bounds each map of codes, refresh tokens, sessions and
// pending sign-ins; past it, expired entries are dropped on insert.
const maxStored = 4096
