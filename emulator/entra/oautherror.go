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

// errNotImplemented answers the advertised endpoints the emulator does not
// serve yet. 501 is not an Entra status; the AADSTS number mirrors it.
func errNotImplemented(endpoint string) *aadError {
	return newAADError(501, "temporarily_unavailable", 501, "The %s endpoint is not implemented by this Entra ID emulator yet.", endpoint)
}

type errorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	Timestamp        string `json:"timestamp"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
	ErrorURI         string `json:"error_uri"`
	Suberror         string `json:"suberror,omitempty"`
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
		Error: e.err,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s",
			e.code, e.text, trace, corr, ts),
		ErrorCodes:    []int{e.code},
		Timestamp:     ts,
		TraceID:       trace,
		CorrelationID: corr,
		ErrorURI:      s.baseURL + "/error?code=" + strconv.Itoa(e.code),
		Suberror:      e.suberror,
	}
	h := w.Header()
	h.Set("x-ms-request-id", trace)
	h.Set("client-request-id", corr)
	if e.status == http.StatusMethodNotAllowed {
		h.Set("Allow", "POST, OPTIONS")
	}
	writeJSON(w, e.status, body, noStore)
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
