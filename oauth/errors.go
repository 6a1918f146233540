package oauth

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// ErrUnavailable reports that the authorization server could not give an
// answer: a network failure, a timeout, an HTTP 429 or 5xx, a redirect, or a
// response that is too large or not the expected JSON. Retrying later may
// help. An *Error whose status is 429/5xx or whose code is
// temporarily_unavailable or server_error also matches it.
var ErrUnavailable = errors.New("oauth: authorization server unavailable")

// Standard error codes (RFC 6749 §5.2, OIDC Core §3.1.2.6, RFC 8693 §2.2.2).
const (
	ErrCodeInvalidRequest       = "invalid_request"
	ErrCodeInvalidClient        = "invalid_client"
	ErrCodeInvalidGrant         = "invalid_grant"
	ErrCodeUnauthorizedClient   = "unauthorized_client"
	ErrCodeUnsupportedGrantType = "unsupported_grant_type"
	ErrCodeInvalidScope         = "invalid_scope"
	ErrCodeInvalidTarget        = "invalid_target"
	ErrCodeInteractionRequired  = "interaction_required"
	ErrCodeConsentRequired      = "consent_required"
	ErrCodeServerError          = "server_error"
	ErrCodeTemporarilyUnavail   = "temporarily_unavailable"
)

// Error is an error response from a token endpoint (RFC 6749 §5.2), with the
// fields Microsoft Entra ID adds. Description and Claims come from the
// authorization server; they hold no token, but Error() still prints only the
// first line of Description.
type Error struct {
	StatusCode  int    // HTTP status of the response
	Code        string // "error", e.g. "invalid_grant"
	Description string // "error_description", e.g. "AADSTS65001: The user or administrator has not consented…"
	URI         string // "error_uri"
	// Entra ID extensions.
	ErrorCodes    []int  // "error_codes", e.g. [65001]
	Claims        string // "claims": a Conditional Access challenge to hand back to the client
	TraceID       string // "trace_id"
	CorrelationID string // "correlation_id"
}

// Error returns the code and the first line of the description, e.g.
// `oauth: invalid_grant: AADSTS65001: The user or administrator has not consented`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("oauth: ")
	if e.Code != "" {
		b.WriteString(clean(e.Code, 64))
	} else {
		fmt.Fprintf(&b, "HTTP %d", e.StatusCode)
	}
	if d := e.Summary(); d != "" {
		b.WriteString(": ")
		b.WriteString(d)
	}
	return b.String()
}

// Summary is the first line of Description, trimmed and cut to 200
// characters: for Entra ID the "AADSTSnnnnn: …" sentence without the trace,
// correlation id and timestamp lines.
func (e *Error) Summary() string {
	d := e.Description
	if i := strings.IndexAny(d, "\r\n"); i >= 0 {
		d = d[:i]
	}
	return clean(d, 200)
}

// HasErrorCode reports whether the server listed code in error_codes or the
// description starts with AADSTS<code>.
func (e *Error) HasErrorCode(code int) bool {
	for _, c := range e.ErrorCodes {
		if c == code {
			return true
		}
	}
	return strings.HasPrefix(e.Description, fmt.Sprintf("AADSTS%d:", code))
}

// Is makes errors.Is(err, ErrUnavailable) true for server-side failures that
// arrived as a well-formed error response.
func (e *Error) Is(target error) bool {
	if target != ErrUnavailable {
		return false
	}
	return e.StatusCode == 429 || e.StatusCode >= 500 ||
		e.Code == ErrCodeTemporarilyUnavail || e.Code == ErrCodeServerError
}

// clean keeps printable characters only and cuts s to max runes, so that a
// server cannot inject control characters into logs.
func clean(s string, max int) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		if !unicode.IsPrint(r) {
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
