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
// pending sign-ins.
const maxStored = 4096

// makeRoom runs before an insert into m: when m is full it drops the
// expired entries, and if that is not enough, arbitrary ones (only a flood
// of requests gets there).
func makeRoom[V any](m map[string]V, expired func(V) bool) {
	if len(m) < maxStored {
		return
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxStored {
			break
		}
		delete(m, k)
	}
}
