package anthropic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/onbehalf/onbehalf/model"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). The SDK error itself is not
// kept: its text holds the raw response body.
func (p *Provider) mapError(ctx context.Context, err error, acc *accumulator) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("anthropic: %w", ctxErr)
	}
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) {
		// A transport failure: before any event the service could not be
		// reached; after one, the stream broke.
		if acc.started {
			return p.broken(acc, transportCause(err))
		}
		return &model.Error{Provider: "anthropic", Kind: model.ErrUnavailable, Cause: transportCause(err)}
	}
	kind := kindOf(string(apiErr.Type()), apiErr.StatusCode)
	e := &model.Error{
		Provider:  "anthropic",
		Kind:      kind,
		Code:      string(apiErr.Type()),
		RequestID: apiErr.RequestID,
	}
	if apiErr.StatusCode >= 400 {
		e.Status = apiErr.StatusCode
		if apiErr.Response != nil {
			e.RetryAfter = model.ParseRetryAfter(apiErr.Response.Header, p.now())
		}
	}
	if kind == model.ErrBadRequest {
		e.Message = p.safeMessage(apiErr.Message)
	}
	if acc.started && acc.textSent {
		// An error event after text reached the user: the answer is
		// broken and must not be retried.
		e.Kind, e.Cause, e.TextSent = model.ErrStreamBroken, kind, true
	}
	return e
}

// broken is the error for a stream that ended before message_stop.
func (p *Provider) broken(acc *accumulator, cause error) error {
	return &model.Error{Provider: "anthropic", Kind: model.ErrStreamBroken, Cause: cause, TextSent: acc.textSent}
}

// kindOf classifies an API error by its type, else by its HTTP status.
func kindOf(typ string, status int) error {
	switch typ {
	case "rate_limit_error":
		return model.ErrRateLimited
	case "overloaded_error":
		return model.ErrOverloaded
	case "api_error", "timeout_error":
		return model.ErrUnavailable
	case "authentication_error", "permission_error", "billing_error":
		return model.ErrAuth
	case "invalid_request_error", "not_found_error", "request_too_large":
		return model.ErrBadRequest
	}
	switch {
	case status == http.StatusTooManyRequests:
		return model.ErrRateLimited
	case status == 529 || status == http.StatusServiceUnavailable:
		return model.ErrOverloaded
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusPaymentRequired:
		return model.ErrAuth
	case status == http.StatusRequestTimeout || status >= 500:
		return model.ErrUnavailable
	case status >= 400:
		return model.ErrBadRequest
	}
	return model.ErrUnavailable // an error event of a type this code does not know
}

// transportCause keeps the standard-library part of a transport error
// (never the SDK's wrapper, whose text may quote a body).
func transportCause(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // the URL itself is left out
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return netErr
	}
	return nil
}

// safeMessage is the API's explanation of a rejected request, cut short
// and without the API key, should the API ever quote it.
func (p *Provider) safeMessage(msg string) string {
	if p.apiKey != "" {
		msg = strings.ReplaceAll(msg, p.apiKey, "[redacted]")
	}
	const max = 300
	if len(msg) > max {
		msg = strings.ToValidUTF8(msg[:max], "") + "…"
	}
	return msg
}
