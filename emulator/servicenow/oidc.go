package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Bearer-token errors, wrapped in errBadCredentials.
var (
	errNoProvider = errors.New("servicenow: no OIDC provider for the token's issuer")
	errNoClaim    = errors.New("servicenow: token lacks the user claim")
)

// allowedAlgs are the asymmetric algorithms accepted; "none" and HMAC never
// are (no key confusion).
var allowedAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

const (
	maxMetadataBytes = 1 << 20
	metadataTimeout  = 10 * time.Second
)

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// oidcProvider is one configured inbound OIDC integration. Its metadata and
// keys are fetched on first use (the IdP may start after the emulator) and
// then cached; a failed fetch is retried by the next request. The mutex makes
// concurrent first requests share one fetch.
type oidcProvider struct {
	cfg    OIDCProvider
	client *http.Client
	bg     context.Context // lives until Server.Close; ends key refreshes
	log    *slog.Logger

	mu   sync.Mutex
	keys *oidcKeys

	jtis *jtiCache // nil unless cfg.CheckJTI
}

func newOIDCProvider(cfg OIDCProvider, client *http.Client, bg context.Context, log *slog.Logger) *oidcProvider {
	p := &oidcProvider{cfg: cfg, client: client, bg: bg, log: log}
	if cfg.CheckJTI {
		p.jtis = &jtiCache{seen: map[string]time.Time{}}
	}
	return p
}

// errReplayed is a token whose jti was already accepted.
var errReplayed = errors.New("servicenow: token replayed (jti already used)")

// errNoJTI is a token without jti (or Entra's uti) under CheckJTI.
var errNoJTI = errors.New("servicenow: token lacks jti")

// jtiCache remembers accepted token ids until the token expires.
type jtiCache struct {
	mu      sync.Mutex
	seen    map[string]time.Time // jti -> forget after
	inserts int
}

// use records jti, or reports that it was seen before. Expired entries are
// dropped every 256 insertions, so the map holds only live tokens.
func (c *jtiCache) use(jti string, until, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if exp, ok := c.seen[jti]; ok && now.Before(exp) {
		return false
	}
	c.seen[jti] = until
	c.inserts++
	if c.inserts%256 == 0 {
		for k, exp := range c.seen {
			if !now.Before(exp) {
				delete(c.seen, k)
			}
		}
	}
	return true
}

type oidcKeys struct {
	issuer string
	kf     keyfunc.Keyfunc
	stop   context.CancelFunc // ends the key refresh; Server.Close ends it too
}

type oidcMetadata struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

func (p *oidcProvider) load(ctx context.Context) (*oidcKeys, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.keys != nil {
		return p.keys, nil
	}
	md, err := fetchMetadata(ctx, p.client, p.cfg.MetadataURL)
	if err != nil {
		return nil, err
	}
	noErr := false
	// The key set's refresh goroutine starts before its first fetch; a
	// failed attempt cancels its own context so retries do not pile up
	// goroutines.
	keysCtx, cancel := context.WithCancel(p.bg)
	kf, err := keyfunc.NewDefaultOverrideCtx(keysCtx, []string{md.JWKSURI}, keyfunc.Override{
		Client:                    p.client,
		HTTPTimeout:               metadataTimeout,
		NoErrorReturnFirstHTTPReq: &noErr,
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				p.log.WarnContext(ctx, "servicenow: JWKS refresh failed", "provider", p.cfg.Name, "jwks_uri", u, "error", err)
			}
		},
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("servicenow: oidc %s: fetch JWKS: %w", p.cfg.Name, err)
	}
	p.keys = &oidcKeys{issuer: md.Issuer, kf: kf, stop: cancel}
	return p.keys, nil
}

func fetchMetadata(ctx context.Context, client *http.Client, metadataURL string) (oidcMetadata, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metadataURL, nil)
	if err != nil {
		return oidcMetadata{}, fmt.Errorf("servicenow: oidc metadata: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return oidcMetadata{}, fmt.Errorf("servicenow: oidc metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return oidcMetadata{}, fmt.Errorf("servicenow: oidc metadata: status %d", resp.StatusCode)
	}
	var md oidcMetadata
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMetadataBytes)).Decode(&md); err != nil {
		return oidcMetadata{}, fmt.Errorf("servicenow: oidc metadata: decode: %w", err)
	}
	if md.Issuer == "" || md.JWKSURI == "" {
		return oidcMetadata{}, errors.New("servicenow: oidc metadata: issuer or jwks_uri missing")
	}
	if u, err := url.Parse(md.JWKSURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return oidcMetadata{}, errors.New("servicenow: oidc metadata: jwks_uri is not an http(s) URL")
	}
	return md, nil
}

// expectedIssuer resolves Entra's multi-tenant issuer template
// ("…/{tenantid}/v2.0") with the token's tid, which must be a GUID.
func expectedIssuer(metadataIssuer string, claims jwt.MapClaims) string {
	if !strings.Contains(metadataIssuer, "{tenantid}") {
		return metadataIssuer
	}
	tid, _ := claims["tid"].(string)
	if !guidRE.MatchString(tid) {
		return ""
	}
	return strings.ReplaceAll(metadataIssuer, "{tenantid}", tid)
}

type bearerIdentity struct {
	provider *OIDCProvider
	claim    string // value of the provider's UserClaim
}

// verifyBearer validates a JWT against the provider whose issuer it names:
// signature by a key of that provider's JWKS with an allowed algorithm, iss,
// aud (the provider's ClientID), exp (required) and nbf within ClockSkew.
func (s *Server) verifyBearer(ctx context.Context, token string) (bearerIdentity, error) {
	key := tokenKey(token)
	if e, ok := s.auth.token(key); ok {
		return s.reuseToken(e)
	}
	id, e, err := s.verifyBearerUncached(ctx, token)
	if err != nil {
		return bearerIdentity{}, err
	}
	if e.provider.jtis != nil {
		if err := e.provider.useJTI(e.jti, e.exp, s.now()); err != nil {
			return bearerIdentity{}, fmt.Errorf("%w: %w", errBadCredentials, err)
		}
	}
	s.auth.putToken(key, e)
	return id, nil
}

// reuseToken accepts a token verified before if it is still within its
// validity window and, under CheckJTI, not replayed.
func (s *Server) reuseToken(e tokenEntry) (bearerIdentity, error) {
	now := s.now()
	skew := e.provider.cfg.ClockSkew
	if !now.Before(e.exp.Add(skew)) {
		return bearerIdentity{}, fmt.Errorf("%w: %w", errBadCredentials, jwt.ErrTokenExpired)
	}
	if !e.nbf.IsZero() && now.Before(e.nbf.Add(-skew)) {
		return bearerIdentity{}, fmt.Errorf("%w: %w", errBadCredentials, jwt.ErrTokenNotValidYet)
	}
	if e.provider.jtis != nil {
		if err := e.provider.useJTI(e.jti, e.exp, now); err != nil {
			return bearerIdentity{}, fmt.Errorf("%w: %w", errBadCredentials, err)
		}
	}
	return e.id, nil
}

// verifyBearerUncached checks signature and claims (see verifyBearer).
func (s *Server) verifyBearerUncached(ctx context.Context, token string) (bearerIdentity, tokenEntry, error) {
	unverified := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, unverified); err != nil {
		return bearerIdentity{}, tokenEntry{}, fmt.Errorf("%w: malformed token", errBadCredentials)
	}
	iss, _ := unverified["iss"].(string)
	for _, p := range s.oidc {
		keys, err := p.load(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "servicenow: OIDC provider unavailable", "provider", p.cfg.Name, "error", err)
			continue
		}
		want := expectedIssuer(keys.issuer, unverified)
		if want == "" || iss != want {
			continue
		}
		claims := jwt.MapClaims{}
		_, err = jwt.ParseWithClaims(token, claims, keys.kf.KeyfuncCtx(ctx),
			jwt.WithValidMethods(allowedAlgs),
			jwt.WithIssuer(want),
			jwt.WithAudience(p.cfg.ClientID),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(p.cfg.ClockSkew),
			jwt.WithTimeFunc(s.now),
		)
		if err != nil {
			return bearerIdentity{}, tokenEntry{}, fmt.Errorf("%w: %w", errBadCredentials, err)
		}
		v, _ := claims[p.cfg.UserClaim].(string)
		if v == "" {
			return bearerIdentity{}, tokenEntry{}, fmt.Errorf("%w: %w", errBadCredentials, errNoClaim)
		}
		e := tokenEntry{id: bearerIdentity{provider: &p.cfg, claim: v}, provider: p}
		exp, err := claims.GetExpirationTime()
		if err != nil || exp == nil {
			return bearerIdentity{}, tokenEntry{}, fmt.Errorf("%w: %w", errBadCredentials, jwt.ErrTokenRequiredClaimMissing)
		}
		e.exp = exp.Time
		if nbf, err := claims.GetNotBefore(); err == nil && nbf != nil {
			e.nbf = nbf.Time
		}
		if p.jtis != nil {
			e.jti, _ = claims["jti"].(string)
			if e.jti == "" {
				e.jti, _ = claims["uti"].(string)
			}
		}
		return e.id, e, nil
	}
	return bearerIdentity{}, tokenEntry{}, fmt.Errorf("%w: %w", errBadCredentials, errNoProvider)
}

// useJTI accepts each token id once: "jti", or Entra's "uti" when the
// token has no jti. The id is remembered until exp plus the clock skew.
func (p *oidcProvider) useJTI(id string, exp, now time.Time) error {
	if id == "" {
		return errNoJTI
	}
	if !p.jtis.use(id, exp.Add(p.cfg.ClockSkew), now) {
		return errReplayed
	}
	return nil
}
