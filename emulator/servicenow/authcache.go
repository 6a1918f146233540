package servicenow

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// Authentication caches. A connector reuses one token for many calls, as
// a browser reuses a session on a real instance; verifying the signature
// and looking the user up again on every call costs more than the query.
//
// Verified tokens are kept by SHA-256 (never the token itself) and still
// pass the validity window (exp, nbf with skew, against the injected clock)
// and the JTI check on every use; an entry lives at most tokenCacheTTL of
// real time, so a key removed from the IdP's JWKS stops working soon.
// Principals (user, roles, groups) are kept per identity until any write to
// a user, role or group table, and at most principalCacheTTL.
const (
	tokenCacheTTL     = 5 * time.Minute
	principalCacheTTL = 5 * time.Second
	authCacheSize     = 10_000
)

type tokenEntry struct {
	id       bearerIdentity
	jti      string
	exp, nbf time.Time // zero nbf: none
	provider *oidcProvider
	stored   time.Time // real time
}

type principalEntry struct {
	p      *principal
	gen    uint64
	stored time.Time
}

type authCache struct {
	mu         sync.Mutex
	tokens     map[[32]byte]tokenEntry
	principals map[string]principalEntry
	gen        atomic.Uint64 // bumped by every identity-table write
}

func newAuthCache() *authCache {
	return &authCache{tokens: map[[32]byte]tokenEntry{}, principals: map[string]principalEntry{}}
}

// identityTables are the tables a principal is built from.
var identityTables = map[string]bool{
	"sys_user": true, "sys_user_role": true, "sys_user_has_role": true,
	"sys_user_group": true, "sys_user_grmember": true,
}

// changed notes a write to table.
func (c *authCache) changed(table string) {
	if identityTables[table] {
		c.gen.Add(1)
	}
}

func (c *authCache) token(key [32]byte) (tokenEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tokens[key]
	if ok && time.Since(e.stored) > tokenCacheTTL {
		delete(c.tokens, key)
		return tokenEntry{}, false
	}
	return e, ok
}

func (c *authCache) putToken(key [32]byte, e tokenEntry) {
	e.stored = time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.tokens) >= authCacheSize {
		clear(c.tokens)
	}
	c.tokens[key] = e
}

func (c *authCache) principal(key string) (*principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.principals[key]
	if !ok || e.gen != c.gen.Load() || time.Since(e.stored) > principalCacheTTL {
		return nil, false
	}
	return e.p, true
}

func (c *authCache) putPrincipal(key string, p *principal, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.principals) >= authCacheSize {
		clear(c.principals)
	}
	c.principals[key] = principalEntry{p: p, gen: gen, stored: time.Now()}
}

func tokenKey(token string) [32]byte { return sha256.Sum256([]byte(token)) }
