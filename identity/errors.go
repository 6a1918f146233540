package identity

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/onbehalf/onbehalf/oauth"
)

// Error types: AgentCore's exception names.
const (
	ValidationException       = "ValidationException"
	UnauthorizedException     = "UnauthorizedException"
	AccessDeniedException     = "AccessDeniedException"
	ResourceNotFoundException = "ResourceNotFoundException"
	ConflictException         = "ConflictException"
	ThrottlingException       = "ThrottlingException"
	InternalServerException   = "InternalServerException"
)

// ValidationException reasons (ValidationExceptionReason).
const (
	ReasonFieldValidationFailed = "FieldValidationFailed"
	ReasonCannotParse           = "CannotParse"
)

// FieldError names one invalid input member (ValidationExceptionField).
type FieldError struct {
	Name    string `json:"name"`    // the member path, e.g. "oauth2ProviderConfigInput.customOauth2ProviderConfig.clientId"
	Message string `json:"message"` // never quotes the value
}

// Error is every failure the broker returns. Message is safe to show the
// caller: it never holds a token, secret or assertion.
type Error struct {
	Type    string // one of the *Exception constants
	Message string
	// OAuth is the identity provider's error when there is one; for
	// interaction_required it carries the Claims challenge to hand back to
	// the client (see ClaimsChallenge).
	OAuth *oauth.Error
	// Reason and Fields detail a ValidationException (AWS's reason and
	// fieldList); Reason is empty for other types.
	Reason string
	Fields []FieldError

	cause error
}

func (e *Error) Error() string { return "identity: " + e.Type + ": " + e.Message }

// Unwrap returns the underlying cause: the OAuth error, oauth.ErrUnavailable,
// a keyring or store error, or the verifier's error.
func (e *Error) Unwrap() error {
	if e.cause != nil {
		return e.cause
	}
	if e.OAuth != nil {
		return e.OAuth
	}
	return nil
}

// HTTPStatus is the status AgentCore answers with for e.Type.
func (e *Error) HTTPStatus() int {
	switch e.Type {
	case ValidationException:
		return http.StatusBadRequest
	case UnauthorizedException:
		return http.StatusUnauthorized
	case AccessDeniedException:
		return http.StatusForbidden
	case ResourceNotFoundException:
		return http.StatusNotFound
	case ConflictException:
		return http.StatusConflict
	case ThrottlingException:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

func newError(typ string, cause error, format string, args ...any) *Error {
	e := &Error{Type: typ, Message: fmt.Sprintf(format, args...), cause: cause}
	if typ == ValidationException {
		e.Reason = ReasonFieldValidationFailed
	}
	return e
}

// ErrorType returns err's *Error type, or "" when err is not an *Error.
func ErrorType(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Type
	}
	return ""
}

// fromOAuth maps an oauth package error from the provider named name to an
// *Error with a clear message that holds no secret.
func fromOAuth(err error, name string) *Error {
	var oe *oauth.Error
	errors.As(err, &oe)
	e := func(typ, format string, args ...any) *Error {
		x := newError(typ, err, format, args...)
		x.OAuth = oe
		return x
	}
	// idp is the IdP's own words: code and the first line of the
	// description ("invalid_grant: AADSTS65001: …").
	idp := ""
	if oe != nil {
		idp = " (" + oe.Code
		if d := oe.Summary(); d != "" {
			idp += ": " + d
		}
		idp += ")"
	}
	switch {
	case errors.Is(err, oauth.ErrUnavailable):
		return e(InternalServerException, "identity provider unavailable for credential provider %q%s", name, idp)
	case oe == nil:
		return e(InternalServerException, "token request for credential provider %q failed", name)
	case oe.HasErrorCode(65001) || oe.Code == oauth.ErrCodeConsentRequired:
		return e(AccessDeniedException, "consent required: the user or an administrator has not granted credential provider %q's client the requested scopes%s", name, idp)
	case oe.Code == oauth.ErrCodeInteractionRequired || oe.Claims != "":
		return e(AccessDeniedException, "interaction required: the user must sign in again to satisfy the identity provider's policy; hand the claims challenge back to the client%s", idp)
	case oe.Code == oauth.ErrCodeInvalidGrant:
		return e(AccessDeniedException, "the identity provider rejected the user's grant for credential provider %q%s", name, idp)
	case oe.Code == oauth.ErrCodeInvalidClient || oe.Code == oauth.ErrCodeUnauthorizedClient || oe.Code == oauth.ErrCodeUnsupportedGrantType:
		return e(InternalServerException, "credential provider %q is misconfigured at the identity provider%s", name, idp)
	case oe.Code == oauth.ErrCodeInvalidScope || oe.Code == oauth.ErrCodeInvalidTarget || oe.Code == oauth.ErrCodeInvalidRequest:
		return e(ValidationException, "the identity provider rejected the request for credential provider %q%s", name, idp)
	}
	return e(AccessDeniedException, "the identity provider refused the token request for credential provider %q%s", name, idp)
}
