package entra

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// maxTokenRequestBytes bounds a token request body (and so the assertion).
const maxTokenRequestBytes = 64 << 10

// tokenResponse is Entra's v2.0 success body (and, with issued_token_type,
// RFC 8693's).
type tokenResponse struct {
	TokenType       string `json:"token_type"`
	Scope           string `json:"scope,omitempty"`
	ExpiresIn       int64  `json:"expires_in"`
	ExtExpiresIn    int64  `json:"ext_expires_in"`
	AccessToken     string `json:"access_token"`
	IssuedTokenType string `json:"issued_token_type,omitempty"`
	RefreshToken    string `json:"refresh_token,omitempty"`
	IDToken         string `json:"id_token,omitempty"`
}

// grantResult is what a grant reports for the log line; nothing secret.
type grantResult struct {
	client        string // client id
	user          string // user oid, "" for app-only
	aud           string // resource client id
	assertionHash string // short SHA-256 prefix of the OBO assertion or subject token
}

// grantFunc handles one grant_type; form is the POST body only.
type grantFunc func(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError)

// grantFuncs maps each supported grant_type to its handler.
func (s *Server) grantFuncs() map[string]grantFunc {
	return map[string]grantFunc{
		GrantPassword:          s.passwordGrant,
		GrantClientCredentials: s.clientCredentialsGrant,
		GrantJWTBearer:         s.oboGrant,
		GrantAuthorizationCode: s.authorizationCodeGrant,
		GrantRefreshToken:      s.refreshTokenGrant,
		GrantTokenExchange:     s.tokenExchangeGrant,
	}
}

// handleTokenMethod answers the token endpoint for methods other than POST.
func (s *Server) handleTokenMethod(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.tenantSegment(r.PathValue("tenant")); !ok {
		s.writeError(w, r, errTenantNotFound(r.PathValue("tenant")))
		return
	}
	s.writeError(w, r, errMethodNotAllowed(r.Method))
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var (
		res  grantResult
		resp *tokenResponse
		aerr *aadError
	)
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequestBytes)
	parseErr := r.ParseForm()
	grantType := r.PostForm.Get("grant_type")
	s.countRequest(grantType)
	s.setCORS(w, r)
	if s.applyFault(w, r, grantType) {
		return
	}

	switch _, tenantOK := s.tenantSegment(r.PathValue("tenant")); {
	case !tenantOK:
		aerr = errTenantNotFound(r.PathValue("tenant"))
	case parseErr != nil:
		// An unreadable or oversized body carries no usable grant_type.
		aerr = errMissingParam("grant_type")
	case grantType == "":
		aerr = errMissingParam("grant_type")
	default:
		grant, ok := s.grants[grantType]
		if !ok {
			aerr = errUnsupportedGrant(grantType)
			break
		}
		resp, aerr = grant(r, r.PostForm, &res)
	}

	attrs := []slog.Attr{
		slog.String("grant_type", grantType),
		slog.String("client_id", res.client),
	}
	if res.user != "" {
		attrs = append(attrs, slog.String("user_oid", res.user))
	}
	if res.aud != "" {
		attrs = append(attrs, slog.String("aud", res.aud))
	}
	if res.assertionHash != "" {
		attrs = append(attrs, slog.String("assertion_sha256", res.assertionHash))
	}
	// Log before answering, so that a client holding the response also
	// finds the log line.
	if aerr != nil {
		trace := newGUID()
		attrs = append(attrs, slog.Int("status", aerr.status), slog.String("error", aerr.err),
			slog.Int("aadsts", aerr.code), slog.String("trace_id", trace))
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra token request refused", attrs...)
		s.writeErrorTrace(w, r, aerr, trace)
		return
	}
	attrs = append(attrs, slog.Int("status", http.StatusOK))
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "entra token issued", attrs...)
	writeJSON(w, http.StatusOK, resp, noStore)
}

// setCORS lets a browser read the token endpoint's answer when the request
// comes from the origin of a registered SPA redirect URI (Entra answers
// SPA token requests cross-origin; every other origin stays blocked).
func (s *Server) setCORS(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Origin")
	if o := r.Header.Get("Origin"); o != "" && s.spaOrigins[o] {
		w.Header().Set("Access-Control-Allow-Origin", o)
	}
}

// corsHeaderRE matches an Access-Control-Request-Headers value worth
// echoing: header names only (MSAL.js sends several x-client-* headers).
var corsHeaderRE = regexp.MustCompile(`^[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*$`)

// handleTokenPreflight answers a CORS preflight of the token endpoint.
func (s *Server) handleTokenPreflight(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.tenantSegment(r.PathValue("tenant")); !ok {
		s.writeError(w, r, errTenantNotFound(r.PathValue("tenant")))
		return
	}
	s.setCORS(w, r)
	h := w.Header()
	h.Set("Allow", "POST, OPTIONS")
	if h.Get("Access-Control-Allow-Origin") != "" {
		h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" && len(req) < 1024 && corsHeaderRE.MatchString(req) {
			h.Set("Access-Control-Allow-Headers", req)
		} else {
			h.Set("Access-Control-Allow-Headers", "content-type, client-request-id")
		}
		h.Set("Access-Control-Max-Age", "86400")
	}
	w.WriteHeader(http.StatusNoContent)
}

// authenticatedClient is the calling app and its azpacr: "1" when it proved
// a secret, "0" for a public client.
type authenticatedClient struct {
	app    *App
	azpacr string
}

// authenticateClient identifies and authenticates the client from
// client_secret_post or client_secret_basic (the form-urlencoded
// credentials of RFC 6749 §2.3.1). confidentialOnly refuses public clients
// as Entra does for client_credentials and OBO.
func (s *Server) authenticateClient(r *http.Request, form url.Values, confidentialOnly bool, res *grantResult) (*authenticatedClient, *aadError) {
	clientID := form.Get("client_id")
	secret, secretSent := form.Get("client_secret"), form.Has("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		if secretSent {
			return nil, errInvalidParam("client_secret") // two client authentication methods
		}
		bid, err1 := url.QueryUnescape(user)
		bsecret, err2 := url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return nil, errInvalidParam("Authorization")
		}
		if clientID != "" && !strings.EqualFold(clientID, bid) {
			return nil, errInvalidParam("client_id")
		}
		clientID, secret, secretSent = bid, bsecret, true
	}
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	res.client = clientID
	app := s.apps[strings.ToLower(clientID)]
	if app == nil {
		return nil, errAppNotFound(clientID, s.tenant)
	}
	res.client = app.ClientID
	if form.Has("client_assertion") || form.Has("client_assertion_type") {
		return nil, errClientAssertionUnsupported()
	}
	if app.ClientSecret == "" { // public client
		if secretSent {
			return nil, errPublicClientCredential()
		}
		if confidentialOnly {
			return nil, errNoClientCredential()
		}
		return &authenticatedClient{app: app, azpacr: "0"}, nil
	}
	if !secretSent || secret == "" {
		return nil, errNoClientCredential()
	}
	if !secretEqual(secret, app.ClientSecret) {
		return nil, errBadClientSecret(app.ClientID)
	}
	return &authenticatedClient{app: app, azpacr: "1"}, nil
}

// secretEqual compares in constant time (over fixed-length digests, so the
// length of the secret does not leak either).
func secretEqual(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// requireParams reports the first missing parameter, in the given order.
func requireParams(form url.Values, names ...string) *aadError {
	for _, n := range names {
		if strings.TrimSpace(form.Get(n)) == "" {
			return errMissingParam(n)
		}
	}
	return nil
}

// shortHash is a correlation handle for a secret value: the first 12 hex
// characters of its SHA-256.
func shortHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:6])
}

func (s *Server) bearer(accessToken, scope string) *tokenResponse {
	secs := int64(s.tokenLifetime.Seconds())
	return &tokenResponse{
		TokenType:    "Bearer",
		Scope:        scope,
		ExpiresIn:    secs,
		ExtExpiresIn: secs,
		AccessToken:  accessToken,
	}
}

func errServer() *aadError {
	return newAADError(500, "server_error", 90033, "A transient error has occurred. Please try again.")
}
