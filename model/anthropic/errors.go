package anthropic

import (
	"context"
	"errors"
	"net/http"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). The SDK error itself is not
// kept: its text holds the raw response body.
func (p *Provider) mapError(ctx context.Context, err error, acc *accumulator) error {
	if err := provider.Canceled(ctx, "anthropic"); err != nil {
		return err
	}
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) {
		// A transport failure: before any event the service could not be
		// reached; after one, the stream broke.
		if acc.started {
			return provider.Broken("anthropic", acc.textSent, provider.TransportCause(err))
		}
		return &model.Error{Provider: "anthropic", Kind: model.ErrUnavailable, Cause: provider.TransportCause(err)}
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
		e.Message = provider.SafeMessage(apiErr.Message, p.apiKey)
	}
	if acc.started && acc.textSent {
		// An error event after text reached the user: the answer is
		// broken and must not be retried.
		provider.BrokeAfterText(e)
	}
	return e
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
	if status == http.StatusPaymentRequired {
		return model.ErrAuth
	}
	if kind, ok := provider.KindOfStatus(status); ok {
		return kind
	}
	return model.ErrUnavailable // an error event of a type this code does not know
}
