package entra

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// aadError is one Entra token-endpoint error. Every error response is
// written by writeError, in Entra's exact shape:
//
//	{"error": "invalid_grant",
//	 "error_description": "AADSTS50126: text\r\nTrace ID: …\r\nCorrelation ID: …\r\nTimestamp: …",
//	 "error_codes": [50126], "timestamp": "2006-01-02 15:04:05Z",
//	 "trace_id": "…", "correlation_id": "…",
//	 "error_uri": "<base>/error?code=50126", "suberror"?: "…"}
//
// Descriptions are built from fixed text, ids and scope names; never from a
// secret, password or assertion.
type aadError struct {
	status   int    // 400, or 401 for invalid_client
	err      string // OAuth error code
	code     int    // AADSTS number
	text     string // description after "AADSTSnnnnn: "
	suberror string // e.g. "consent_required"
	claims   string // a Conditional Access claims challenge (JSON)

	retryAfter int // seconds, for a Retry-After header; 0 = none
}

func (e *aadError) Error() string { return fmt.Sprintf("%s: AADSTS%d: %s", e.err, e.code, e.text) }

func newAADError(status int, oauthErr string, code int, format string, args ...any) *aadError {
	return &aadError{status: status, err: oauthErr, code: code, text: fmt.Sprintf(format, args...)}
}

// The errors the emulator answers. Texts follow Entra's wording as seen in
// real responses; where Entra's exact text or code is unknown the comment
// says so.
func errMissingParam(name string) *aadError {
	return newAADError(400, "invalid_request", 900144, "The request body must contain the following parameter: '%s'.", name)
}

// errInvalidParam uses Entra's generic AADSTS90100 (InvalidRequestParameter)
// for a present but unusable parameter whose specific code is not known.
func errInvalidParam(name string) *aadError {
	return newAADError(400, "invalid_request", 90100, "%s parameter is empty or not valid.", name)
}

func errUnsupportedGrant(grant string) *aadError {
	return newAADError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type '%s'.", grant)
}

func errMethodNotAllowed(method string) *aadError {
	return newAADError(405, "invalid_request", 900561, "The endpoint only accepts POST, OPTIONS requests. Received a %s request.", method)
}

func errTenantNotFound(tenant string) *aadError {
	return newAADError(400, "invalid_tenant", 90002, "Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", tenant)
}

func errAppNotFound(clientID, tenant string) *aadError {
	return newAADError(400, "unauthorized_client", 700016, "Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, tenant)
}

func errNoClientCredential() *aadError {
	return newAADError(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
}

func errBadClientSecret(clientID string) *aadError {
	return newAADError(401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", clientID)
}

func errPublicClientCredential() *aadError {
	return newAADError(401, "invalid_client", 700025, "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.")
}

// errClientAssertionUnsupported: apps of this emulator have no certificates,
// so every client_assertion fails as an unregistered certificate would.
func errClientAssertionUnsupported() *aadError {
	return newAADError(401, "invalid_client", 700027, "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]")
}

func errUserNotFound(tenant string) *aadError {
	// Entra hides the user name here ({EUII Hidden}); so do we.
	return newAADError(400, "invalid_grant", 50034, "The user account {EUII Hidden} does not exist in the %s directory. To sign into this application, the account must be added to the directory.", tenant)
}

func errBadPassword() *aadError {
	return newAADError(400, "invalid_grant", 50126, "Error validating credentials due to invalid username or password.")
}

func errResourceNotFound(resource, tenant string) *aadError {
	return newAADError(400, "invalid_resource", 500011, "The resource principal named %s was not found in the tenant named %s. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource, tenant)
}

func errInvalidScope(scope, why string) *aadError {
	text := fmt.Sprintf("The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)
	if why != "" {
		text += " " + why
	}
	return newAADError(400, "invalid_scope", 70011, "%s", text)
}

func errMultipleResources(scope string) *aadError {
	return newAADError(400, "invalid_scope", 28000, "Provided value for the input parameter scope is not valid because it contains more than one resource. Scope %s is not valid.", scope)
}

func errClientCredentialsScope(scope string) *aadError {
	return newAADError(400, "invalid_scope", 1002012, "The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).", scope)
}

func errNotConsented(app *App) *aadError {
	e := newAADError(400, "invalid_grant", 65001, "The user or administrator has not consented to use the application with ID '%s' named '%s'. Send an interactive authorization request for this user and resource.", app.ClientID, app.DisplayName)
	e.suberror = "consent_required"
	return e
}

// errAssertion: AADSTS50013 covers every assertion that is malformed, not
// signed by this tenant's key, or not issued by this tenant.
func errAssertion(reason string) *aadError {
	return newAADError(400, "invalid_grant", 50013, "Assertion failed signature validation. [Reason - %s]", reason)
}

// errAssertionNotUserToken is our choice for an app-only token (or any token
// without delegated scopes, such as an ID token) presented as the OBO
// assertion. Entra documents that only user access tokens may be assertions
// but its exact code for this case is not known to us; we answer
// invalid_grant in the AADSTS50013 (invalid assertion) family with a text
// saying why, so that clients treat it like any other unusable assertion.
func errAssertionNotUserToken() *aadError {
	return newAADError(400, "invalid_grant", 50013, "Assertion is not a delegated user access token. App-only tokens and ID tokens can't be used as the assertion of the On-Behalf-Of flow.")
}

func errAssertionExpired(now, exp time.Time) *aadError {
	const layout = "2006-01-02T15:04:05.0000000Z"
	return newAADError(400, "invalid_grant", 500133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: %s, expiry time of assertion %s.", now.UTC().Format(layout), exp.UTC().Format(layout))
}

func errAssertionAudience(aud, clientID string) *aadError {
	return newAADError(400, "invalid_grant", 500131, "Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '%s' and the expected audience is '%s' or one of the Application Id URIs of this client app.", aud, clientID)
}

// withError returns a copy of e answering another OAuth error code, for
// grants whose protocol names the error differently (RFC 8693 answers
// invalid_request for an unusable subject or actor token).
func (e *aadError) withError(oauthErr string) *aadError {
	c := *e
	c.err = oauthErr
	return &c
}

// errMFARequired is Conditional Access refusing a token for resource until
// the user performs multi-factor authentication. claims is the challenge
// the client must send back to the authorization endpoint. The OBO and
// token-exchange grants answer interaction_required (Entra's documented
// OBO response); the password and refresh grants answer invalid_grant, as
// Entra does for ROPC.
func errMFARequired(oauthErr string, resource *App, claims string) *aadError {
	e := newAADError(400, oauthErr, 50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '%s'.", resource.ClientID)
	e.claims = claims
	return e
}

// errTemporarilyUnavailable is an injected 503. Entra's text for a
// transient failure; AADSTS90033 is its "service unavailable" code.
func errTemporarilyUnavailable(retryAfter int) *aadError {
	e := newAADError(503, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again.")
	e.retryAfter = retryAfter
	return e
}

// Authorization code and PKCE errors. Codes and texts are Entra's.
func errCodeInvalid(why string) *aadError {
	return newAADError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed. %s", why)
}

func errCodeRedeemed() *aadError {
	return newAADError(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
}

func errGrantExpired() *aadError {
	return newAADError(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.")
}

func errCodeRedirectMismatch(got string) *aadError {
	return newAADError(400, "invalid_grant", 50011, "The redirect URI '%s' specified in the request does not match the redirect URI used to request the authorization code.", got)
}

func errRedirectNotRegistered(uri string, app *App) *aadError {
	return newAADError(400, "invalid_request", 50011, "The redirect URI '%s' specified in the request does not match the redirect URIs configured for the application '%s'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.", uri, app.ClientID)
}

func errPKCEMismatch() *aadError {
	return newAADError(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
}

func errPKCERequired() *aadError {
	return newAADError(400, "invalid_request", 9002325, "Proof Key for Code Exchange is required for cross-origin authorization code redemption.")
}

func errPKCEMethod() *aadError {
	return newAADError(400, "invalid_request", 50149, "Invalid Code_Challenge_method parameter. This tenant supports only S256.")
}

func errPKCEChallengeSize() *aadError {
	return newAADError(400, "invalid_request", 501491, "Invalid size of Code_Challenge parameter.")
}

func errCrossOriginNotSPA() *aadError {
	return newAADError(400, "invalid_request", 9002326, "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.")
}

func errSPANeedsCrossOrigin() *aadError {
	return newAADError(400, "invalid_request", 9002327, "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.")
}

// errSPAOriginMismatch is our choice for an Origin that is not the origin
// of the SPA redirect URI the code or refresh token was issued through.
func errSPAOriginMismatch(origin string) *aadError {
	return newAADError(400, "invalid_request", 9002326, "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '%s'.", origin)
}

func errUnsupportedResponseType(rt string) *aadError {
	return newAADError(400, "unsupported_response_type", 700054, "response_type '%s' is not enabled for the application. This tenant issues authorization codes only (response_type=code).", rt)
}

func errLoginRequired() *aadError {
	return newAADError(400, "login_required", 50058, "A silent sign-in request was sent but no user is signed in. The cookies used to represent the user's session were not sent in the request to Azure AD.")
}

func errUserCancelled() *aadError {
	return newAADError(400, "access_denied", 65004, "User declined to consent to access the app.")
}

func errConsentRequired(app *App) *aadError {
	e := errNotConsented(app)
	e.err = "consent_required"
	e.suberror = ""
	return e
}

// Refresh token errors.

// errRefreshRotated: this emulator rotates refresh tokens on every use,
// so the old one is dead. Entra keeps old refresh tokens usable; we are
// stricter on purpose, so that clients are tested on storing the new one.
// AADSTS70000 is Entra's generic invalid-grant code.
func errRefreshRotated() *aadError {
	return errCodeInvalid("The refresh token was already redeemed and replaced by a new one; this tenant rotates refresh tokens on every use.")
}

func errRefreshExpired(issued time.Time, inactive time.Duration) *aadError {
	return newAADError(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was issued on %s and was inactive for %s.", issued.UTC().Format(time.RFC3339), inactive.Round(time.Second))
}

func errSPARefreshExpired(issued time.Time) *aadError {
	return newAADError(400, "invalid_grant", 700084, "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on %s.", issued.UTC().Format(time.RFC3339))
}

// errRefreshRevoked is RevokeRefreshTokens (Microsoft Graph's
// revokeSignInSessions): Entra answers AADSTS50173, "FreshTokenNeeded".
func errRefreshRevoked(issued, validFrom time.Time) *aadError {
	return newAADError(400, "invalid_grant", 50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '%s' and the TokensValidFrom date (before which tokens are not valid) for this user is '%s'.", issued.UTC().Format(time.RFC3339), validFrom.UTC().Format(time.RFC3339))
}

func errRefreshScope(scope string) *aadError {
	return errInvalidScope(scope, "The refresh token was not issued for it.")
}

// Token exchange (RFC 8693) errors.
func errUnsupportedTokenType(param string) *aadError {
	return newAADError(400, "invalid_request", 90100, "%s parameter is empty or not valid. Supported token types: urn:ietf:params:oauth:token-type:access_token, urn:ietf:params:oauth:token-type:jwt.", param)
}

// errInvalidTarget: RFC 8693's invalid_target for an audience or resource
// this tenant does not know; AADSTS500011 is Entra's unknown-resource code.
func errInvalidTarget(target, tenant string) *aadError {
	e := errResourceNotFound(target, tenant)
	e.err = "invalid_target"
	return e
}

func errTargetConflict() *aadError {
	return newAADError(400, "invalid_target", 28000, "The audience, resource and scope parameters name more than one resource; this tenant issues a token for exactly one.")
}

func errActorNotApp() *aadError {
	return newAADError(400, "invalid_request", 50013, "The actor_token is not an app-only access token of this tenant.")
}

func errActChainTooDeep() *aadError {
	return newAADError(400, "invalid_request", 50013, "The subject_token carries a delegation chain (act) deeper than %d.", maxActDepth)
}

// Sign-in page errors (shown on the page, never redirected).

// errForeignForm: the sign-in form was not posted by the browser that
// loaded it (missing browser cookie, or a foreign Origin). Our choice of
// code: Entra's AADSTS90100 (invalid request parameter).
func errForeignForm() *aadError {
	return newAADError(403, "invalid_request", 90100, "The sign-in form was not posted from the page that this browser loaded. Start the sign-in again from the application.")
}

// errSignInExpired: the page's request id is unknown, used or expired.
// Entra's code for an expired sign-in flow session.
func errSignInExpired() *aadError {
	return newAADError(400, "invalid_request", 50089, "Authentication failed due to flow token expired. Start the sign-in again from the application.")
}

func errTooManyAttempts() *aadError {
	return newAADError(400, "invalid_grant", 50053, "Your account is locked because you've tried to sign in too many times with an incorrect user ID or password. Start the sign-in again from the application.")
}

func itoa(n int) string { return strconv.Itoa(n) }

type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
	Suberror         string `json:"suberror,omitempty"`
	Claims           string `json:"claims,omitempty"`
}

// writeError writes e in Entra's shape under a new trace id.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, e *aadError) {
	s.writeErrorTrace(w, r, e, newGUID())
}

// writeErrorTrace writes e in Entra's shape under the given trace id.
func (s *Server) writeErrorTrace(w http.ResponseWriter, r *http.Request, e *aadError, trace string) {
	corr := r.Header.Get("client-request-id")
	if !isGUID(corr) {
		corr = newGUID()
	}
	ts := s.now().UTC().Format("2006-01-02 15:04:05Z")
	body := errorBody{
		Error:            e.err,
		ErrorDescription: s.description(e, trace, corr),
		ErrorCodes:       []int{e.code},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         s.baseURL + "/error?code=" + strconv.Itoa(e.code),
		Suberror:         e.suberror,
		Claims:           e.claims,
	}
	h := w.Header()
	h.Set("x-ms-request-id", trace)
	h.Set("client-request-id", corr)
	if e.status == http.StatusMethodNotAllowed {
		h.Set("Allow", "POST, OPTIONS")
	}
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	writeJSON(w, e.status, body, noStore)
}

// description is the error_description of e with the given trace and
// correlation ids, as the authorization endpoint's redirects carry it.
func (s *Server) description(e *aadError, trace, corr string) string {
	return fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
		e.code, e.text, trace, corr, s.now().UTC().Format("2006-01-02 15:04:05Z"))
}

type cachePolicy int

const (
	noStore cachePolicy = iota
	cacheable
)

func writeJSON(w http.ResponseWriter, status int, v any, cache cachePolicy) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	if cache == noStore {
		h.Set("Cache-Control", "no-store, no-cache")
		h.Set("Pragma", "no-cache")
	} else {
		h.Set("Cache-Control", "max-age=86400, private")
		h.Set("Access-Control-Allow-Origin", "*")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newGUID returns a random (version 4) GUID.
func newGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatGUID(b, 4)
}

func formatGUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
