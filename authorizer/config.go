package authorizer

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults and limits applied by New to a zero-valued Config field.
const (
	DefaultClockSkew          = 60 * time.Second
	MaxClockSkew              = 5 * time.Minute
	DefaultMaxTokenBytes      = 16 << 10
	DefaultRefreshInterval    = time.Hour
	DefaultMinRefreshInterval = 5 * time.Minute
	defaultHTTPTimeout        = 15 * time.Second
	// maxFailureBackoff caps how long a failed discovery/JWKS load is
	// remembered before a Verify may try again (the backoff is
	// MinRefreshInterval, capped here so an IdP blip at start does not
	// refuse every user for five minutes).
	maxFailureBackoff = 10 * time.Second
	maxDocumentBytes  = 1 << 20
)

// DefaultAlgorithms is the allow-list used when Config.Algorithms is empty.
var DefaultAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}

// supportedAlgorithms are the asymmetric JWS algorithms a Config may list.
// HS* and none are not here and never will be: a verifier that holds only
// public keys must not accept MACs (HS/RS key confusion) or no signature.
var supportedAlgorithms = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}

// Config is the authorizer's configuration; it mirrors AgentCore's
// customJWTAuthorizer (discoveryUrl, allowedAudience, allowedClients,
// allowedScopes). The zero value of every check is the strict one: an empty
// AllowedAudiences is an error unless SkipAudienceCheck says otherwise.
type Config struct {
	// DiscoveryURL is the OIDC discovery document's URL; the issuer and
	// jwks_uri come from it. It must be https, or http on a loopback host
	// (127.0.0.0/8, ::1, localhost), or any http with InsecureAllowHTTP.
	DiscoveryURL string
	// AllowedAudiences: the token's aud must contain one of them (exact
	// string match; Entra v2 tokens carry the API's client id GUID, v1 the
	// identifier URI, so list both forms if both can come).
	AllowedAudiences []string
	// SkipAudienceCheck turns the audience check off. Named so that turning
	// it off is visible in code review; never set it in production.
	SkipAudienceCheck bool
	// AllowedClients, if set: the token's azp (Entra v2), appid (Entra v1)
	// or client_id (RFC 9068), first present in that order, must be one of
	// them.
	AllowedClients []string
	// AllowedScopes, if set: at least one must appear in scp / scope
	// (space-separated string or array).
	AllowedScopes []string
	// Algorithms is the allow-list of JWS algorithms, default
	// DefaultAlgorithms. Only asymmetric algorithms may be listed (EdDSA is
	// accepted too); HS256/384/512 and none are a config error.
	Algorithms []string
	// ClockSkew is the leeway for exp, nbf and iat: default 60s, capped at
	// 5m. Negative is an error.
	ClockSkew time.Duration
	// MaxTokenBytes: longer tokens are refused before any parsing. Default
	// 16 KiB.
	MaxTokenBytes int
	// RefreshInterval is how often a background goroutine refetches the
	// JWKS. Default 1h.
	RefreshInterval time.Duration
	// MinRefreshInterval is the minimum time between two JWKS fetches made
	// because a token named an unknown kid. Default 5m. A failed load is
	// retried by Verify after min(MinRefreshInterval, 10s).
	MinRefreshInterval time.Duration
	// InsecureAllowHTTP allows http:// discovery and JWKS URLs on
	// non-loopback hosts (a dev stack inside containers). Loopback http is
	// always allowed.
	InsecureAllowHTTP bool
	// HTTPClient fetches discovery and JWKS. Default: a client with a 15s
	// timeout that follows at most 5 redirects, none to a URL the rules
	// for DiscoveryURL would refuse.
	HTTPClient *http.Client
	// Now is the clock; default time.Now. Token times and the key refresh
	// rate limit both use it.
	Now func() time.Time
	// Logger receives key-set events and, at debug level, refusals tagged
	// with a SHA-256 prefix of the token. It never receives a token.
	// Default: discard.
	Logger *slog.Logger
}

// settings is a validated Config with defaults applied.
type settings struct {
	Config
	algorithms []string
}

// validate applies defaults and reports every problem at once, each naming
// its field; problems found by the caller come in as problems. needDiscovery
// is false for NewWithKeySet.
func (c Config) validate(needDiscovery bool, problems ...error) (settings, error) {
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }

	if needDiscovery {
		if c.DiscoveryURL == "" {
			add("DiscoveryURL: required")
		} else if err := checkFetchURL(c.DiscoveryURL, c.InsecureAllowHTTP); err != nil {
			add("DiscoveryURL: %v", err)
		}
	} else if c.DiscoveryURL != "" {
		add("DiscoveryURL: must be empty when the key set is given")
	}
	switch {
	case c.SkipAudienceCheck && len(c.AllowedAudiences) > 0:
		add("AllowedAudiences: set while SkipAudienceCheck is true; choose one")
	case !c.SkipAudienceCheck && len(c.AllowedAudiences) == 0:
		add("AllowedAudiences: required (or set SkipAudienceCheck)")
	}
	for _, l := range []struct {
		name string
		list []string
	}{{"AllowedAudiences", c.AllowedAudiences}, {"AllowedClients", c.AllowedClients}, {"AllowedScopes", c.AllowedScopes}} {
		if slices.Contains(l.list, "") {
			add("%s: contains an empty string", l.name)
		}
	}

	s := settings{Config: c}
	s.algorithms = DefaultAlgorithms
	if len(c.Algorithms) > 0 {
		s.algorithms = nil
		for _, alg := range c.Algorithms {
			switch {
			case alg == "none" || strings.EqualFold(alg, "none") || strings.HasPrefix(strings.ToUpper(alg), "HS"):
				add("Algorithms: %q is never allowed (only asymmetric algorithms can be verified with an IdP's public keys)", alg)
			case !slices.Contains(supportedAlgorithms, alg):
				add("Algorithms: %q is not supported (use %s)", alg, strings.Join(supportedAlgorithms, ", "))
			case !slices.Contains(s.algorithms, alg):
				s.algorithms = append(s.algorithms, alg)
			}
		}
	}

	switch {
	case c.ClockSkew < 0:
		add("ClockSkew: must not be negative")
	case c.ClockSkew == 0:
		s.ClockSkew = DefaultClockSkew
	case c.ClockSkew > MaxClockSkew:
		s.ClockSkew = MaxClockSkew
	}
	switch {
	case c.MaxTokenBytes < 0:
		add("MaxTokenBytes: must not be negative")
	case c.MaxTokenBytes == 0:
		s.MaxTokenBytes = DefaultMaxTokenBytes
	}
	switch {
	case c.RefreshInterval < 0:
		add("RefreshInterval: must not be negative")
	case c.RefreshInterval == 0:
		s.RefreshInterval = DefaultRefreshInterval
	}
	switch {
	case c.MinRefreshInterval < 0:
		add("MinRefreshInterval: must not be negative")
	case c.MinRefreshInterval == 0:
		s.MinRefreshInterval = DefaultMinRefreshInterval
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout, CheckRedirect: redirectPolicy(c.InsecureAllowHTTP)}
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if len(problems) > 0 {
		return settings{}, fmt.Errorf("authorizer: %w: %w", ErrInvalidConfig, errors.Join(problems...))
	}
	if c.ClockSkew > MaxClockSkew {
		s.Logger.Warn("authorizer: ClockSkew capped", "configured", c.ClockSkew, "used", MaxClockSkew)
	}
	return s, nil
}

// redirectPolicy keeps the default client's redirects to URLs that would
// be accepted as configured ones (no downgrade to http off loopback), and
// to at most 5 hops.
func redirectPolicy(allowHTTP bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if err := checkFetchURL(req.URL.String(), allowHTTP); err != nil {
			return fmt.Errorf("redirect refused: %w", err)
		}
		return nil
	}
}

// checkFetchURL accepts an absolute https URL, or http on a loopback host,
// or any http URL when allowHTTP is set.
func checkFetchURL(raw string, allowHTTP bool) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL")
	}
	if u.User != nil {
		return fmt.Errorf("must not carry credentials")
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if allowHTTP || isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%q: http is allowed only on a loopback host (or set InsecureAllowHTTP)", raw)
	default:
		return fmt.Errorf("%q: scheme must be https", raw)
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
