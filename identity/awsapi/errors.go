package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/onbehalf/onbehalf/identity"
)

// Error types this package sends besides the broker's. The authentication
// ones are the names AWS front ends use, which every AWS client surfaces.
const (
	typeValidation            = "ValidationException"
	typeUnauthorized          = "UnauthorizedException"
	typeAccessDenied          = "AccessDeniedException"
	typeResourceNotFound      = "ResourceNotFoundException"
	typeConflict              = "ConflictException"
	typeThrottling            = "ThrottlingException"
	typeInternal              = "InternalServerException"
	typeUnknownOperation      = "UnknownOperationException"
	typeMissingAuthToken      = "MissingAuthenticationTokenException"
	typeIncompleteSignature   = "IncompleteSignatureException"
	typeInvalidSignature      = "InvalidSignatureException"
	typeUnrecognizedClient    = "UnrecognizedClientException"
	typeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	typeRequestTooLarge       = "RequestEntityTooLargeException"
)

// statusOf is the HTTP status of each error type the models declare.
var statusOf = map[string]int{
	typeValidation:                   http.StatusBadRequest,
	"DecryptionFailure":              http.StatusBadRequest,
	"EncryptionFailure":              http.StatusBadRequest,
	"ResourceLimitExceededException": http.StatusBadRequest,
	typeUnauthorized:                 http.StatusUnauthorized,
	"ServiceQuotaExceededException":  http.StatusPaymentRequired,
	typeAccessDenied:                 http.StatusForbidden,
	typeResourceNotFound:             http.StatusNotFound,
	typeConflict:                     http.StatusConflict,
	typeThrottling:                   http.StatusTooManyRequests,
	typeInternal:                     http.StatusInternalServerError,
}

// Headers that carry an IdP error to a remote broker client (the AWS
// models have no member for them). Neither holds a secret: the claims
// challenge (base64 of the IdP's claims JSON, as in WWW-Authenticate) is
// what Entra ID tells the client to satisfy.
const (
	HeaderOAuthError      = "X-Onbehalf-Oauth-Error"
	HeaderOAuthErrorCodes = "X-Onbehalf-Oauth-Error-Codes"
	HeaderClaimsChallenge = "X-Onbehalf-Claims-Challenge"
)

// apiError is one error response.
type apiError struct {
	Status  int
	Type    string
	Message string
	Reason  string       // ValidationException only
	Fields  []fieldError // ValidationException only
	OAuth   *identity.Error
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func newAPIError(typ, format string, args ...any) *apiError {
	st, ok := statusOf[typ]
	if !ok {
		st = http.StatusBadRequest
	}
	return &apiError{Status: st, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// validationError is a ValidationException; with fields and no message the
// message is AWS's "N validation error(s) detected: …".
func validationError(reason, message string, fields []fieldError) *apiError {
	if message == "" {
		parts := make([]string, len(fields))
		for i, f := range fields {
			parts[i] = "Value at '" + f.Name + "' failed to satisfy constraint: " + f.Message
		}
		plural := "s"
		if len(fields) == 1 {
			plural = ""
		}
		message = fmt.Sprintf("%d validation error%s detected: %s", len(fields), plural, strings.Join(parts, "; "))
	}
	return &apiError{Status: http.StatusBadRequest, Type: typeValidation, Message: message, Reason: reason, Fields: fields}
}

// fromBroker maps an error from the broker. Its *identity.Error messages
// are safe to send by contract; anything else is an internal error whose
// details stay in the log.
func fromBroker(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var ie *identity.Error
	if !errors.As(err, &ie) {
		return newAPIError(typeInternal, "internal error")
	}
	st, ok := statusOf[ie.Type]
	if !ok {
		return newAPIError(typeInternal, "internal error")
	}
	e := &apiError{Status: st, Type: ie.Type, Message: ie.Message}
	if ie.Type == typeValidation {
		e.Reason = ie.Reason
		if e.Reason == "" {
			e.Reason = reasonFieldValidationFailed
		}
		for _, f := range ie.Fields {
			e.Fields = append(e.Fields, fieldError{Name: f.Name, Message: f.Message})
		}
	}
	if ie.OAuth != nil {
		e.OAuth = ie
	}
	return e
}

type errorBody struct {
	Message   string       `json:"message"`
	Reason    string       `json:"reason,omitempty"`
	FieldList []fieldError `json:"fieldList,omitempty"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", e.Type)
	if e.OAuth != nil && e.OAuth.OAuth != nil {
		o := e.OAuth.OAuth
		h.Set(HeaderOAuthError, o.Code)
		if len(o.ErrorCodes) > 0 {
			codes := make([]string, len(o.ErrorCodes))
			for i, c := range o.ErrorCodes {
				codes[i] = strconv.Itoa(c)
			}
			h.Set(HeaderOAuthErrorCodes, strings.Join(codes, ","))
		}
		if o.Claims != "" {
			h.Set(HeaderClaimsChallenge, base64.StdEncoding.EncodeToString([]byte(o.Claims)))
		}
	}
	b, _ := json.Marshal(errorBody{Message: e.Message, Reason: e.Reason, FieldList: e.Fields})
	w.WriteHeader(e.Status)
	_, _ = w.Write(b)
}
