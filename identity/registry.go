package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

// Resource kinds the broker keeps in the store.
const (
	kindOauth2Provider = "oauth2credentialprovider"
	kindAPIKeyProvider = "apikeycredentialprovider"
	kindWorkload       = "workloadidentity"
	kindOauth2Session  = "oauth2session"
	kindTokenVault     = "tokenvault"
)

// ownedKinds are re-sealed by ReencryptAll.
var ownedKinds = []string{kindOauth2Provider, kindAPIKeyProvider, kindWorkload, kindOauth2Session, kindTokenVault}

// resourceAD is the associated data a resource's secret is sealed with: a
// secret copied to another record fails to open.
func resourceAD(kind, name string) []byte {
	return []byte("onbehalf/resource/v1\x00" + kind + "\x00" + name)
}

// Where a record came from.
const sourceConfig = "config"

// oauth2Doc is the stored, non-secret document of an OAuth2 credential
// provider: the AgentCore input with its secrets removed.
type oauth2Doc struct {
	Vendor    string                    `json:"vendor"`
	Config    Oauth2ProviderConfigInput `json:"config"`
	SecretARN string                    `json:"secretArn"`
	Tags      map[string]string         `json:"tags,omitempty"`
	// Instance is random per creation: a provider deleted and created
	// again under the same name never sees the old one's vault rows.
	Instance string `json:"instance"`
	Source   string `json:"source,omitempty"`
}

// oauth2Secret is the sealed part of an OAuth2 credential provider.
type oauth2Secret struct {
	ClientSecret  string `json:"clientSecret,omitempty"`
	PrivateKeyPEM string `json:"privateKeyPem,omitempty"`
}

type apiKeyDoc struct {
	SecretARN string            `json:"secretArn"`
	Tags      map[string]string `json:"tags,omitempty"`
	Source    string            `json:"source,omitempty"`
}

type apiKeySecret struct {
	APIKey string `json:"apiKey"`
}

type workloadDoc struct {
	ReturnURLs       []string          `json:"allowedResourceOauth2ReturnUrls,omitempty"`
	AllowedProviders []string          `json:"allowedCredentialProviders,omitempty"`
	Tags             map[string]string `json:"tags,omitempty"`
	Source           string            `json:"source,omitempty"`
}

// workload is a resolved workload identity.
type workload struct {
	name             string
	returnURLs       []string
	allowedProviders []string
}

// seal seals v as JSON under the record's associated data.
func (b *Broker) seal(kind, name string, v any) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b.cfg.Keyring.Seal(plain, resourceAD(kind, name))
}

// open opens a record's secret into v.
func (b *Broker) open(r store.Resource, v any) error {
	plain, err := b.cfg.Keyring.Open(r.Secret, resourceAD(r.Kind, r.Name))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// randomSuffix is n characters of [A-Za-z0-9], like Secrets Manager's.
func randomSuffix(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ---- ARNs ----

func (b *Broker) arn(resource string) string {
	return "arn:aws:bedrock-agentcore:" + b.cfg.Region + ":" + b.cfg.AccountID + ":" + resource
}

func (b *Broker) oauth2ProviderARN(name string) string {
	return b.arn("token-vault/default/oauth2credentialprovider/" + name)
}

func (b *Broker) apiKeyProviderARN(name string) string {
	return b.arn("token-vault/default/apikeycredentialprovider/" + name)
}

func (b *Broker) workloadARN(name string) string {
	return b.arn("workload-identity-directory/default/workload-identity/" + name)
}

func (b *Broker) secretARN(kind, name string) string {
	return "arn:aws:secretsmanager:" + b.cfg.Region + ":" + b.cfg.AccountID +
		":secret:bedrock-agentcore-identity!default/" + kind + "/" + name + "-" + randomSuffix(6)
}

// CallbackURL is where identity providers send the user's browser back in
// USER_FEDERATION: Config.CallbackBaseURL + CallbackPath, served by
// CallbackHandler. Empty when CallbackBaseURL is not set.
func (b *Broker) CallbackURL() string {
	if b.cfg.CallbackBaseURL == "" {
		return ""
	}
	return b.cfg.CallbackBaseURL + CallbackPath
}

// CallbackPath is the path of the OAuth2 callback under CallbackBaseURL.
const CallbackPath = "/identities/oauth2/callback"

// ---- list pagination ----

const nextTokenPrefix = "ob1."

func encodeNextToken(name string) string {
	return nextTokenPrefix + base64.RawURLEncoding.EncodeToString([]byte(name))
}

func decodeNextToken(tok string) (string, error) {
	if tok == "" {
		return "", nil
	}
	if len(tok) > len(nextTokenPrefix) && tok[:len(nextTokenPrefix)] == nextTokenPrefix {
		if b, err := base64.RawURLEncoding.DecodeString(tok[len(nextTokenPrefix):]); err == nil {
			return string(b), nil
		}
	}
	e := newError(ValidationException, nil, "1 validation error detected: Value at 'nextToken' failed to satisfy constraint: Member must be a token returned by a previous call")
	e.Fields = []FieldError{{Name: "nextToken", Message: "Member must be a token returned by a previous call"}}
	return "", e
}

// listPage reads one page of kind after nextToken.
func (b *Broker) listPage(ctx context.Context, kind, nextToken string, max, limit int) ([]store.Resource, string, error) {
	after, err := decodeNextToken(nextToken)
	if err != nil {
		return nil, "", err
	}
	if limit == 0 {
		limit = max
	}
	rs, err := b.cfg.Store.ListResources(ctx, kind, after, limit+1)
	if err != nil {
		return nil, "", storeError(err)
	}
	next := ""
	if len(rs) > limit {
		rs = rs[:limit]
		next = encodeNextToken(rs[limit-1].Name)
	}
	return rs, next, nil
}

// storeError is an unexpected store failure.
func storeError(err error) error {
	return newError(InternalServerException, err, "the broker's store is unavailable")
}

// ---- the cache ----

// ttlCache keeps resolved records for a short time so that the hot path
// (a vault hit) does not read them from the store on every call. Writes
// through this broker drop the entry; other replicas' writes are seen
// within the TTL.
type ttlCache[T any] struct {
	mu sync.Mutex
	m  map[string]cacheItem[T]
	// max bounds the entries; 0 means maxCacheEntries.
	max int
}

type cacheItem[T any] struct {
	v  T
	at time.Time
}

func (c *ttlCache[T]) get(key string, now time.Time, ttl time.Duration) (T, bool) {
	var zero T
	if ttl <= 0 {
		return zero, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it, ok := c.m[key]
	if !ok || now.Sub(it.at) >= ttl || now.Before(it.at) {
		return zero, false
	}
	return it.v, true
}

// maxCacheEntries bounds a cache: beyond it, entries older than the TTL
// go, and if that is not enough, all of them.
const maxCacheEntries = 50_000

func (c *ttlCache[T]) put(key string, v T, now time.Time, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cacheItem[T]{}
	}
	limit := c.max
	if limit <= 0 {
		limit = maxCacheEntries
	}
	if len(c.m) >= limit {
		for k, it := range c.m {
			if now.Sub(it.at) >= ttl || now.Before(it.at) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= limit {
			clear(c.m)
		}
	}
	c.m[key] = cacheItem[T]{v: v, at: now}
}

func (c *ttlCache[T]) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

// ---- resolution on the data path ----

// oauth2Provider returns the named provider, from the cache or the store.
// ResourceNotFoundException when it does not exist.
func (b *Broker) oauth2Provider(ctx context.Context, name string) (*provider, error) {
	if p, ok := b.providerCache.get(name, b.now(), b.cfg.ResourceCacheTTL); ok {
		return p, nil
	}
	r, err := b.cfg.Store.GetResource(ctx, kindOauth2Provider, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(ResourceNotFoundException, nil, "credential provider %q not found", name)
	}
	if err != nil {
		return nil, storeError(err)
	}
	p, err := b.loadOauth2Provider(r)
	if err != nil {
		return nil, err
	}
	b.providerCache.put(name, p, b.now(), b.cfg.ResourceCacheTTL)
	return p, nil
}

func (b *Broker) loadOauth2Provider(r store.Resource) (*provider, error) {
	var doc oauth2Doc
	if err := json.Unmarshal(r.Data, &doc); err != nil {
		return nil, newError(InternalServerException, err, "credential provider %q is unreadable", r.Name)
	}
	var sec oauth2Secret
	if err := b.open(r, &sec); err != nil {
		return nil, newError(InternalServerException, err, "credential provider %q's secret does not open (is the key file complete?)", r.Name)
	}
	p, err := buildProvider(r.Name, doc, sec)
	if err != nil {
		return nil, newError(InternalServerException, err, "credential provider %q is misconfigured", r.Name)
	}
	return p, nil
}

// workload returns the named workload identity. ResourceNotFoundException
// when it does not exist.
func (b *Broker) workload(ctx context.Context, name string) (*workload, error) {
	if w, ok := b.workloadCache.get(name, b.now(), b.cfg.ResourceCacheTTL); ok {
		return w, nil
	}
	r, err := b.cfg.Store.GetResource(ctx, kindWorkload, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newError(ResourceNotFoundException, nil, "workload identity %q not found", name)
	}
	if err != nil {
		return nil, storeError(err)
	}
	var doc workloadDoc
	if err := json.Unmarshal(r.Data, &doc); err != nil {
		return nil, newError(InternalServerException, err, "workload identity %q is unreadable", name)
	}
	w := &workload{name: name, returnURLs: doc.ReturnURLs, allowedProviders: doc.AllowedProviders}
	b.workloadCache.put(name, w, b.now(), b.cfg.ResourceCacheTTL)
	return w, nil
}

// apiKey returns the named API key provider's key.
func (b *Broker) apiKey(ctx context.Context, name string) (string, error) {
	if k, ok := b.apiKeyCache.get(name, b.now(), b.cfg.ResourceCacheTTL); ok {
		return k, nil
	}
	r, err := b.cfg.Store.GetResource(ctx, kindAPIKeyProvider, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", newError(ResourceNotFoundException, nil, "API key credential provider %q not found", name)
	}
	if err != nil {
		return "", storeError(err)
	}
	var sec apiKeySecret
	if err := b.open(r, &sec); err != nil {
		return "", newError(InternalServerException, err, "API key credential provider %q's secret does not open (is the key file complete?)", name)
	}
	b.apiKeyCache.put(name, sec.APIKey, b.now(), b.cfg.ResourceCacheTTL)
	return sec.APIKey, nil
}

// marshalDoc encodes a stored document; it cannot fail for these types.
func marshalDoc(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("identity: encoding %T: %v", v, err))
	}
	return b
}
