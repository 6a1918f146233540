package entra

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Server is the emulated tenant, an http.Handler. It is safe for concurrent
// use. Its apps and users are fixed at New; consent, Conditional Access,
// faults, sign-in sessions, codes and refresh tokens change at run time.
type Server struct {
	tenant        string // tenant id as configured
	baseURL       string // without trailing slash
	origin        string // scheme://host of baseURL
	secureCookies bool   // baseURL is https
	issuer        string
	key           *signingKey
	tokenLifetime time.Duration
	rtLifetime    time.Duration
	now           func() time.Time
	log           *slog.Logger
	mux           *http.ServeMux
	grants        map[string]grantFunc
	users         []*User // in configuration order, for the sign-in page

	apps       map[string]*App  // lower-case client id
	resources  map[string]*App  // lower-case client id and identifier URI
	usersUPN   map[string]*User // lower-case UPN
	usersOID   map[string]*User // lower-case object id
	spaOrigins map[string]bool  // origins of every SPA redirect URI

	mu     sync.Mutex
	counts map[string]int64 // token requests by grant_type

	// st is the run-time state, guarded by stMu.
	stMu sync.Mutex
	st   state
}

// state is what tests and sign-ins change while the server runs.
type state struct {
	consent   map[consentKey][]string // admin consent: client -> resource -> scopes
	mfa       map[string]bool         // lower-case oid -> Conditional Access requires MFA
	faults    map[string]*faultState  // grant type ("" = all) -> fault
	gen       map[string]int          // lower-case oid -> token generation (RevokeRefreshTokens)
	validFrom map[string]time.Time    // lower-case oid -> time of the last RevokeRefreshTokens
	codes     map[string]*authCode    // SHA-256 of the code -> code
	refresh   map[string]*refreshRec  // SHA-256 of the refresh token -> record
	pending   map[string]*authRequest // sign-in page request id -> authorization request
	sessions  map[string]*session     // SHA-256 of the session cookie -> session
}

// Grant types of the token endpoint, as sent in grant_type.
const (
	GrantPassword          = "password"
	GrantClientCredentials = "client_credentials"
	GrantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer" // OBO with requested_token_use=on_behalf_of
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
	GrantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693
)

// maxCountedGrantTypes bounds the counter map against clients sending
// arbitrary grant_type values; further unknown values count under "".
const maxCountedGrantTypes = 32

// New validates cfg (reporting every problem at once) and builds the tenant.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("entra: invalid config: %w", err)
	}
	key, err := newSigningKey(cfg.SigningKey)
	if err != nil {
		return nil, err
	}
	s := &Server{
		tenant:        cfg.TenantID,
		baseURL:       strings.TrimRight(cfg.BaseURL, "/"),
		key:           key,
		tokenLifetime: cfg.TokenLifetime,
		rtLifetime:    cfg.RefreshTokenLifetime,
		now:           cfg.Now,
		log:           cfg.Logger,
		apps:          map[string]*App{},
		resources:     map[string]*App{},
		usersUPN:      map[string]*User{},
		usersOID:      map[string]*User{},
		spaOrigins:    map[string]bool{},
		counts:        map[string]int64{},
		st: state{
			consent:   map[consentKey][]string{},
			mfa:       map[string]bool{},
			faults:    map[string]*faultState{},
			gen:       map[string]int{},
			validFrom: map[string]time.Time{},
			codes:     map[string]*authCode{},
			refresh:   map[string]*refreshRec{},
			pending:   map[string]*authRequest{},
			sessions:  map[string]*session{},
		},
	}
	s.issuer = s.baseURL + "/" + s.tenant + "/v2.0"
	s.origin = originOf(s.baseURL)
	s.secureCookies = strings.HasPrefix(s.baseURL, "https:")
	if s.tokenLifetime == 0 {
		s.tokenLifetime = DefaultTokenLifetime
	}
	if s.rtLifetime == 0 {
		s.rtLifetime = DefaultRefreshTokenLifetime
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for i := range cfg.Apps {
		a := cloneApp(cfg.Apps[i])
		s.apps[strings.ToLower(a.ClientID)] = a
		s.resources[strings.ToLower(a.ClientID)] = a
		for _, u := range a.IdentifierURIs {
			s.resources[strings.ToLower(u)] = a
		}
		for _, u := range a.SPARedirectURIs {
			s.spaOrigins[originOf(u)] = true
		}
		for res, scopes := range a.Permissions { // already lower-case
			s.st.consent[consentKey{strings.ToLower(a.ClientID), res}] = append([]string(nil), scopes...)
		}
	}
	for i := range cfg.Users {
		u := cfg.Users[i]
		s.users = append(s.users, &u)
		s.usersUPN[strings.ToLower(u.UserPrincipalName)] = &u
		s.usersOID[strings.ToLower(u.ObjectID)] = &u
		if u.RequireMFA {
			s.st.mfa[strings.ToLower(u.ObjectID)] = true
		}
	}

	s.grants = s.grantFuncs()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", s.handleKeys)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)
	mux.HandleFunc("OPTIONS /{tenant}/oauth2/v2.0/token", s.handleTokenPreflight)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/token", s.handleTokenMethod)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", s.handleAuthorize)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/authorize", s.handleSignIn)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/authorize", s.handlePageMethod)
	mux.HandleFunc("GET /{tenant}/oauth2/v2.0/logout", s.handleLogout)
	mux.HandleFunc("/{tenant}/oauth2/v2.0/logout", s.handlePageMethod)
	mux.HandleFunc("GET /error", s.handleErrorPage)
	s.mux = mux
	return s, nil
}

func cloneApp(a App) *App {
	c := a
	c.IdentifierURIs = append([]string(nil), a.IdentifierURIs...)
	c.Scopes = append([]string(nil), a.Scopes...)
	c.Permissions = make(map[string][]string, len(a.Permissions))
	for res, scopes := range a.Permissions {
		c.Permissions[strings.ToLower(res)] = append([]string(nil), scopes...)
	}
	c.RedirectURIs = append([]string(nil), a.RedirectURIs...)
	c.SPARedirectURIs = append([]string(nil), a.SPARedirectURIs...)
	return &c
}

// ServeHTTP serves Entra's endpoints for this tenant.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Issuer is the v2.0 issuer of every token: BaseURL + "/" + tenant + "/v2.0".
func (s *Server) Issuer() string { return s.issuer }

// DiscoveryURL is the tenant's OpenID Connect metadata URL.
func (s *Server) DiscoveryURL() string {
	return s.baseURL + "/" + s.tenant + "/v2.0/.well-known/openid-configuration"
}

// AuthorizeURL is the tenant's v2.0 authorization endpoint (the sign-in page).
func (s *Server) AuthorizeURL() string {
	return s.baseURL + "/" + s.tenant + "/oauth2/v2.0/authorize"
}

// LogoutURL is the tenant's v2.0 end-session endpoint.
func (s *Server) LogoutURL() string { return s.baseURL + "/" + s.tenant + "/oauth2/v2.0/logout" }

// TokenURL is the tenant's v2.0 token endpoint.
func (s *Server) TokenURL() string { return s.baseURL + "/" + s.tenant + "/oauth2/v2.0/token" }

// JWKSURL is the tenant's v2.0 signing-key set.
func (s *Server) JWKSURL() string { return s.baseURL + "/" + s.tenant + "/discovery/v2.0/keys" }

// TokenRequests counts the token-endpoint requests received with this
// grant_type, successful, refused or failed by an injected fault (use
// GrantJWTBearer for OBO, and the other Grant constants). Requests without
// a readable grant_type count under "".
func (s *Server) TokenRequests(grantType string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[grantType]
}

func (s *Server) countRequest(grantType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.counts[grantType]; !ok && len(s.counts) >= maxCountedGrantTypes {
		grantType = ""
	}
	s.counts[grantType]++
}

// tenantSegment resolves the {tenant} path segment. It accepts the tenant id
// and the multi-tenant aliases "common" and "organizations"; multi reports
// an alias (whose discovery document carries the "{tenantid}" template).
func (s *Server) tenantSegment(seg string) (multi, ok bool) {
	switch {
	case strings.EqualFold(seg, s.tenant):
		return false, true
	case strings.EqualFold(seg, "common"), strings.EqualFold(seg, "organizations"):
		return true, true
	}
	return false, false
}

// handleErrorPage stands in for login.microsoftonline.com/error, the
// error_uri of every error response.
func (s *Server) handleErrorPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	code := r.URL.Query().Get("code")
	if len(code) > 12 || strings.Trim(code, "0123456789") != "" {
		code = ""
	}
	fmt.Fprintf(w, "Entra ID emulator: error AADSTS%s. See https://login.microsoftonline.com/error?code=%s for Entra's description.\n", code, code)
}
