package authorizer

import (
	"errors"
	"net/http"
	"strings"
)

// Sentinel errors. Verify and BearerToken return them wrapped with context;
// test with errors.Is. Each sentinel's text is fixed and contains no token
// content, so it is safe to send to a client (Challenge does).
var (
	ErrMissingToken       = errors.New("no bearer token")
	ErrMalformed          = errors.New("the token is malformed")
	ErrTooLarge           = errors.New("the token is too large")
	ErrAlgorithm          = errors.New("the token's signing algorithm is not allowed")
	ErrSignature          = errors.New("the token signature is invalid")
	ErrUnknownKey         = errors.New("the token is signed with an unknown key")
	ErrIssuer             = errors.New("the token issuer is not trusted")
	ErrAudience           = errors.New("the token audience is not allowed")
	ErrClient             = errors.New("the token was issued to a client that is not allowed")
	ErrScope              = errors.New("the token has none of the required scopes")
	ErrExpired            = errors.New("the token has expired")
	ErrNotYetValid        = errors.New("the token is not valid yet")
	ErrMissingExpiry      = errors.New("the token has no expiry")
	ErrNotUserToken       = errors.New("the token does not represent a signed-in user")
	ErrKeySetUnavailable  = errors.New("the issuer's signing keys are unavailable")
	ErrInvalidConfig      = errors.New("invalid authorizer config")
	errClosed             = errors.New("authorizer is closed")
	errRefreshRateLimited = errors.New("key set was refreshed too recently to refresh again")
)

// challengeOrder lists the sentinels Challenge and StatusCode recognise, most
// specific first (an error can wrap two, e.g. ErrUnknownKey and
// ErrKeySetUnavailable, and the first listed wins).
var challengeOrder = []error{
	ErrMissingToken,
	ErrKeySetUnavailable,
	ErrTooLarge,
	ErrMalformed,
	ErrAlgorithm,
	ErrUnknownKey,
	ErrSignature,
	ErrIssuer,
	ErrAudience,
	ErrClient,
	ErrExpired,
	ErrNotYetValid,
	ErrMissingExpiry,
	ErrNotUserToken,
	ErrScope,
}

// Challenge returns the value of the WWW-Authenticate header (RFC 6750 §3)
// for a request that Verify or BearerToken refused with err:
//
//	Bearer realm="onbehalf", error="invalid_token", error_description="the token has expired"
//
// The description is always the fixed text of the sentinel err wraps, never
// anything from the token or the error's context. ErrMissingToken (and a nil
// err) gives `Bearer realm="…"` without an error code, as RFC 6750 asks for a
// request that carried no credentials. ErrScope gives
// error="insufficient_scope" (RFC 6750 §3.1; pair it with 403, see
// StatusCode). An error that wraps no sentinel gets the generic
// description "the token is invalid".
func Challenge(err error, realm string) string {
	var b strings.Builder
	b.WriteString(`Bearer realm="`)
	b.WriteString(quoteValue(realm))
	b.WriteByte('"')
	if err == nil || errors.Is(err, ErrMissingToken) {
		return b.String()
	}
	code, desc := "invalid_token", "the token is invalid"
	if s := sentinelOf(err); s != nil {
		desc = s.Error()
		if s == ErrScope {
			code = "insufficient_scope"
		}
	}
	b.WriteString(`, error="`)
	b.WriteString(code)
	b.WriteString(`", error_description="`)
	b.WriteString(quoteValue(desc))
	b.WriteByte('"')
	return b.String()
}

// StatusCode is the HTTP status for a request refused with err: 503 when
// the issuer's keys could not be loaded (the token may well be valid; retry
// later), 403 for ErrScope, 401 for every other error, 200 for nil.
func StatusCode(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrKeySetUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrScope):
		return http.StatusForbidden
	default:
		return http.StatusUnauthorized
	}
}

func sentinelOf(err error) error {
	for _, s := range challengeOrder {
		if errors.Is(err, s) {
			return s
		}
	}
	return nil
}

// quoteValue makes s safe inside an RFC 7230 quoted-string: it escapes
// backslash and double quote and drops control characters, so a realm can
// never split or inject a header.
func quoteValue(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
