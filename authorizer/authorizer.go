package authorizer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// Authorizer validates bearer access tokens from one issuer. It is safe for
// concurrent use.
type Authorizer struct {
	s      settings
	issuer func(context.Context) (string, error)
	keys   KeySet
	remote *remoteKeySet // nil when the key set was given

	decoder  *jwt.Parser // decodes header and payload, verifies nothing
	verifier *jwt.Parser // verifies the signature only; claims are ours
}

// New returns an authorizer for the issuer behind cfg.DiscoveryURL. It
// validates cfg, reporting every problem at once (errors.Is
// ErrInvalidConfig), and touches no network: discovery and the JWK set are
// fetched on the first Verify, and a failed fetch is retried by later calls.
// A goroutine refreshes the JWK set every RefreshInterval until ctx is done
// or Close is called.
func New(ctx context.Context, cfg Config) (*Authorizer, error) {
	s, err := cfg.validate(true)
	if err != nil {
		return nil, err
	}
	r := newRemoteKeySet(s)
	a := newAuthorizer(s, r.Issuer, r)
	a.remote = r
	r.wg.Add(1)
	go r.run(ctx, s.RefreshInterval)
	return a, nil
}

// Issuer returns the issuer this authorizer trusts, as discovery gave it
// (fetched on first use, like Verify's). A multi-tenant Entra issuer keeps
// its "{tenantid}" placeholder.
func (a *Authorizer) Issuer(ctx context.Context) (string, error) {
	return a.issuer(ctx)
}

// NewWithKeySet returns an authorizer that trusts issuer and verifies
// signatures with keys (a StaticKeySet in tests, or pinned keys), with no
// discovery. cfg.DiscoveryURL must be empty; the refresh settings are
// unused. issuer may hold Entra's "{tenantid}" placeholder like a
// multi-tenant discovery document does.
func NewWithKeySet(issuer string, keys KeySet, cfg Config) (*Authorizer, error) {
	var problems []error
	if issuer == "" {
		problems = append(problems, errors.New("issuer: required"))
	}
	if keys == nil {
		problems = append(problems, errors.New("keys: required"))
	}
	s, err := cfg.validate(false, problems...)
	if err != nil {
		return nil, err
	}
	return newAuthorizer(s, func(context.Context) (string, error) { return issuer, nil }, keys), nil
}

func newAuthorizer(s settings, issuer func(context.Context) (string, error), keys KeySet) *Authorizer {
	return &Authorizer{
		s:       s,
		issuer:  issuer,
		keys:    keys,
		decoder: jwt.NewParser(jwt.WithJSONNumber(), jwt.WithStrictDecoding()),
		verifier: jwt.NewParser(
			jwt.WithValidMethods(s.algorithms),
			jwt.WithJSONNumber(),
			jwt.WithStrictDecoding(),
			jwt.WithoutClaimsValidation(),
		),
	}
}

// Close stops the background refresh and waits for fetches in progress to
// end. Verify keeps working with the keys already loaded.
func (a *Authorizer) Close() {
	if a.remote != nil {
		a.remote.close()
	}
}

// Verify checks rawToken (the bearer token, without "Bearer ") and returns
// its claims. On failure the error wraps exactly the sentinel for the first
// check that failed; the error text never contains the token.
//
// Checks run cheapest first, so a token that fails a claim check never
// costs a network fetch or a signature operation: size; JWS shape; alg
// against the allow-list; kid present; exp, nbf, iat with ClockSkew;
// audience; client; user token (sub, not app-only); scopes; then the issuer
// (exactly the discovery document's, loading it if needed); then the key
// named by kid (an unknown kid refreshes the JWK set at most once per
// MinRefreshInterval) and the signature. The jku, x5u, x5c and jwk headers
// are never read.
func (a *Authorizer) Verify(ctx context.Context, rawToken string) (*Claims, error) {
	c, err := a.verify(ctx, rawToken)
	if err != nil {
		a.s.Logger.DebugContext(ctx, "authorizer: token refused", "token_sha256", tokenHash(rawToken), "err", err)
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	return c, nil
}

func (a *Authorizer) verify(ctx context.Context, raw string) (*Claims, error) {
	if raw == "" {
		return nil, ErrMissingToken
	}
	if len(raw) > a.s.MaxTokenBytes {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), a.s.MaxTokenBytes)
	}
	mc := jwt.MapClaims{}
	tok, _, err := a.decoder.ParseUnverified(raw, mc)
	if err != nil {
		// jwt says "unverifiable" when the header decoded but names no
		// algorithm it knows (none of ours is unknown to it).
		if errors.Is(err, jwt.ErrTokenUnverifiable) && tok != nil {
			return nil, fmt.Errorf("%w: alg %s", ErrAlgorithm, headerString(tok.Header, "alg"))
		}
		return nil, fmt.Errorf("%w: not a compact JWS of base64url JSON segments", ErrMalformed)
	}
	alg, _ := tok.Header["alg"].(string)
	if !slices.Contains(a.s.algorithms, alg) {
		return nil, fmt.Errorf("%w: alg %s", ErrAlgorithm, quoteClaim(alg))
	}
	if _, ok := tok.Header["crit"]; ok {
		return nil, fmt.Errorf("%w: crit header extensions are not supported", ErrMalformed)
	}
	kid, _ := tok.Header["kid"].(string)
	if kid == "" {
		return nil, fmt.Errorf("%w: no kid in the token header", ErrUnknownKey)
	}

	c, err := claimsFrom(mc)
	if err != nil {
		return nil, err
	}
	if err := a.checkTimes(c); err != nil {
		return nil, err
	}
	if err := a.checkAudience(c); err != nil {
		return nil, err
	}
	if err := a.checkClient(c); err != nil {
		return nil, err
	}
	if err := checkUser(c); err != nil {
		return nil, err
	}
	if err := a.checkScopes(c); err != nil {
		return nil, err
	}

	issuer, err := a.issuer(ctx)
	if err != nil {
		return nil, err
	}
	if !issuerMatches(issuer, c) {
		return nil, fmt.Errorf("%w: iss %s", ErrIssuer, quoteClaim(c.Issuer))
	}

	key, err := a.keys.Key(ctx, kid)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != "" && key.Algorithm != alg {
		return nil, fmt.Errorf("%w: key %s is for %s, token says %s", ErrAlgorithm, quoteClaim(kid), key.Algorithm, quoteClaim(alg))
	}
	if !keyFits(key.Key, alg) {
		return nil, fmt.Errorf("%w: key %s cannot verify %s", ErrAlgorithm, quoteClaim(kid), quoteClaim(alg))
	}
	if _, err := a.verifier.Parse(raw, func(*jwt.Token) (any, error) { return key.Key, nil }); err != nil {
		return nil, fmt.Errorf("%w: kid %s", ErrSignature, quoteClaim(kid))
	}
	return c, nil
}

func (a *Authorizer) checkTimes(c *Claims) error {
	now, skew := a.s.Now(), a.s.ClockSkew
	if now.After(c.ExpiresAt.Add(skew)) {
		return fmt.Errorf("%w: exp is %s ago (skew %s)", ErrExpired, now.Sub(c.ExpiresAt).Round(1e9), skew)
	}
	if !c.NotBefore.IsZero() && now.Add(skew).Before(c.NotBefore) {
		return fmt.Errorf("%w: nbf is %s ahead (skew %s)", ErrNotYetValid, c.NotBefore.Sub(now).Round(1e9), skew)
	}
	if !c.IssuedAt.IsZero() && now.Add(skew).Before(c.IssuedAt) {
		return fmt.Errorf("%w: iat is %s ahead (skew %s)", ErrNotYetValid, c.IssuedAt.Sub(now).Round(1e9), skew)
	}
	return nil
}

func (a *Authorizer) checkAudience(c *Claims) error {
	if a.s.SkipAudienceCheck {
		return nil
	}
	for _, aud := range c.Audience {
		if slices.Contains(a.s.AllowedAudiences, aud) {
			return nil
		}
	}
	return fmt.Errorf("%w: aud %s", ErrAudience, quoteList(c.Audience))
}

func (a *Authorizer) checkClient(c *Claims) error {
	if len(a.s.AllowedClients) == 0 || slices.Contains(a.s.AllowedClients, c.ClientID) {
		return nil
	}
	if c.ClientID == "" {
		return fmt.Errorf("%w: no azp, appid or client_id claim", ErrClient)
	}
	return fmt.Errorf("%w: client %s", ErrClient, quoteClaim(c.ClientID))
}

func (a *Authorizer) checkScopes(c *Claims) error {
	if len(a.s.AllowedScopes) == 0 {
		return nil
	}
	for _, s := range c.Scopes {
		if slices.Contains(a.s.AllowedScopes, s) {
			return nil
		}
	}
	return fmt.Errorf("%w: has %s", ErrScope, quoteList(c.Scopes))
}

// checkUser refuses tokens that do not stand for a signed-in user: no sub;
// Entra's idtyp=app; Auth0's gty=client-credentials; sub equal to the client
// id (RFC 9068 §2.2: that is how a client-credentials token names its
// subject); and any token without delegated scopes (scp/scope), which covers
// Entra app-only tokens (roles, no scp) and ID tokens.
func checkUser(c *Claims) error {
	if c.Subject == "" {
		return fmt.Errorf("%w: no sub", ErrNotUserToken)
	}
	if v, _, _ := stringClaim(c.Raw, "idtyp"); v == "app" {
		return fmt.Errorf("%w: idtyp is app", ErrNotUserToken)
	}
	if v, _, _ := stringClaim(c.Raw, "gty"); v == "client-credentials" {
		return fmt.Errorf("%w: gty is client-credentials", ErrNotUserToken)
	}
	if c.ClientID != "" && c.Subject == c.ClientID {
		return fmt.Errorf("%w: sub is the client id (a client-credentials token)", ErrNotUserToken)
	}
	if len(c.Scopes) == 0 {
		if _, hasRoles := c.Raw["roles"]; hasRoles {
			return fmt.Errorf("%w: app-only token (roles, no scp)", ErrNotUserToken)
		}
		return fmt.Errorf("%w: no delegated scopes (scp/scope)", ErrNotUserToken)
	}
	return nil
}

// issuerMatches requires iss to equal the trusted issuer exactly. An issuer
// holding Entra's multi-tenant placeholder "{tenantid}" is first completed
// with the token's tid, which must be a GUID.
func issuerMatches(trusted string, c *Claims) bool {
	if c.Issuer == "" {
		return false
	}
	if strings.Contains(trusted, "{tenantid}") {
		if !isGUID(c.TenantID) {
			return false
		}
		trusted = strings.ReplaceAll(trusted, "{tenantid}", c.TenantID)
	}
	return c.Issuer == trusted
}

// isGUID reports whether s has the 8-4-4-4-12 hex form.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch i {
		case 8, 13, 18, 23:
			if ch != '-' {
				return false
			}
		default:
			if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F') {
				return false
			}
		}
	}
	return true
}

func headerString(h map[string]any, name string) string {
	v, ok := h[name].(string)
	if !ok {
		return "(not a string)"
	}
	return quoteClaim(v)
}

func quoteList(list []string) string {
	const max = 3
	q := make([]string, 0, max+1)
	for i, s := range list {
		if i == max {
			q = append(q, fmt.Sprintf("and %d more", len(list)-max))
			break
		}
		q = append(q, quoteClaim(s))
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// tokenHash is a short SHA-256 prefix of the token, for correlating log
// lines without logging the token.
func tokenHash(raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return hex.EncodeToString(sum[:6])
}
