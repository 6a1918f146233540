package sigv4

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
)

type resultKey struct{}

// Middleware verifies every request before next sees it. On success it
// puts the *Result in the request context (read it with ResultFrom); on
// failure it calls onError, or WriteError when onError is nil, and next
// never runs.
//
// Mount it outside anything that rewrites the request-target (such as
// http.StripPrefix): the signature covers the path as the client sent it.
func (v *Verifier) Middleware(next http.Handler, onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onError == nil {
		onError = WriteError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := v.Verify(r)
		if err != nil {
			onError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), res)))
	})
}

// NewContext returns a copy of ctx carrying res.
func NewContext(ctx context.Context, res *Result) context.Context {
	return context.WithValue(ctx, resultKey{}, res)
}

// ResultFrom returns the Result Middleware stored in ctx.
func ResultFrom(ctx context.Context) (*Result, bool) {
	res, ok := ctx.Value(resultKey{}).(*Result)
	return res, ok && res != nil
}

// ErrorStatus maps a Verify error to the HTTP status and AWS error type
// (the X-Amzn-ErrorType value) an AWS service answers with, so that the AWS
// CLI and SDKs report it the way they report AWS's own refusals. Errors
// that are not the package's sentinels map to 500 InternalServerException.
func ErrorStatus(err error) (status int, errorType string) {
	switch {
	case errors.Is(err, ErrMissingAuth):
		return http.StatusForbidden, "MissingAuthenticationTokenException"
	case errors.Is(err, ErrUnknownAccessKey), errors.Is(err, ErrInvalidSessionToken):
		return http.StatusForbidden, "UnrecognizedClientException"
	case errors.Is(err, ErrSignatureMismatch), errors.Is(err, ErrRequestExpired),
		errors.Is(err, ErrWrongService), errors.Is(err, ErrWrongRegion),
		errors.Is(err, ErrPayloadHashMismatch):
		return http.StatusForbidden, "InvalidSignatureException"
	case errors.Is(err, ErrMalformedAuth), errors.Is(err, ErrUnsignedHeader),
		errors.Is(err, ErrMissingSignedHeader), errors.Is(err, ErrUnsignedPayload):
		return http.StatusForbidden, "IncompleteSignatureException"
	case errors.Is(err, ErrBodyTooLarge):
		return http.StatusRequestEntityTooLarge, "ValidationException"
	case errors.Is(err, ErrBodyUnreadable):
		return http.StatusBadRequest, "ValidationException"
	}
	return http.StatusInternalServerError, "InternalServerException"
}

// WriteError writes err the way AWS rest-json services do: the status and
// X-Amzn-ErrorType from ErrorStatus and a JSON body {"message": ...}. The
// message of a sentinel error is its text, which never holds a secret or
// a signature; any other error is written as "internal error".
func WriteError(w http.ResponseWriter, _ *http.Request, err error) {
	status, typ := ErrorStatus(err)
	msg := "internal error"
	if status != http.StatusInternalServerError {
		msg = err.Error()
	}
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{msg})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
