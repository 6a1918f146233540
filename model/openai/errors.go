package openai

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). SDK errors are not kept.
func (p *Provider) mapError(ctx context.Context, err error, acc *accumulator) error {
	if err := provider.Canceled(ctx, "openai"); err != nil {
		return err
	}
	var apiErr *sdk.Error
	var streamErr *ssestream.StreamError
	switch {
	case errors.As(err, &apiErr):
		kind := kindOf(apiErr.Type, apiErr.Code, apiErr.StatusCode)
		e := &model.Error{Provider: "openai", Kind: kind, Status: apiErr.StatusCode, Code: firstOf(apiErr.Code, apiErr.Type)}
		if apiErr.Response != nil {
			e.RequestID = apiErr.Response.Header.Get("X-Request-Id")
			e.RetryAfter = model.ParseRetryAfter(apiErr.Response.Header, p.now())
		}
		if kind == model.ErrBadRequest {
			e.Message = p.safeMessage(errorMessage(apiErr))
		}
		return e
	case errors.As(err, &streamErr):
		// {"error": {...}} inside a 200 stream.
		var ev streamErrorEvent
		_ = json.Unmarshal(streamErr.Event.Data, &ev)
		typ, code := ev.Error.Type, ev.code()
		kind := kindOf(typ, code, 0)
		e := &model.Error{Provider: "openai", Kind: kind, Code: firstOf(code, typ)}
		if kind == model.ErrBadRequest {
			e.Message = p.safeMessage(ev.Error.Message)
		}
		if acc.textSent {
			provider.BrokeAfterText(e)
		}
		return e
	case acc.started:
		return provider.Broken("openai", acc.textSent, provider.TransportCause(err))
	default:
		return &model.Error{Provider: "openai", Kind: model.ErrUnavailable, Cause: provider.TransportCause(err)}
	}
}

// streamErrorEvent is a `data: {"error": {...}}` line. Some servers send
// a number as the code.
type streamErrorEvent struct {
	Error struct {
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	} `json:"error"`
}

func (e streamErrorEvent) code() string {
	var s string
	if json.Unmarshal(e.Error.Code, &s) == nil {
		return s
	}
	return ""
}

// errorMessage is the server's explanation: error.message, or the
// top-level message of servers (vLLM) that send {"object": "error",
// "message": …}.
func errorMessage(apiErr *sdk.Error) string {
	if apiErr.Message != "" || apiErr.Response == nil || apiErr.Response.Body == nil {
		return apiErr.Message
	}
	var body struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(apiErr.Response.Body, 64<<10)).Decode(&body)
	return body.Message
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// kindOf classifies an error by its type or code (OpenAI's and the common
// ones of compatible servers), else by its HTTP status.
func kindOf(typ, code string, status int) error {
	switch {
	case code == "insufficient_quota" || typ == "insufficient_quota":
		return model.ErrAuth // a 429 that waiting does not cure
	case code == "rate_limit_exceeded" || typ == "rate_limit_exceeded" || typ == "rate_limit_error" || typ == "requests" || typ == "tokens":
		return model.ErrRateLimited
	case typ == "overloaded_error" || code == "server_overloaded":
		return model.ErrOverloaded
	case code == "invalid_api_key" || typ == "authentication_error" || typ == "permission_error":
		return model.ErrAuth
	}
	if status == http.StatusPaymentRequired {
		return model.ErrAuth
	}
	if kind, ok := provider.KindOfStatus(status); ok {
		return kind
	}
	if typ == "invalid_request_error" {
		return model.ErrBadRequest
	}
	return model.ErrUnavailable // server_error and anything unknown in a stream
}

// safeMessage is the server's explanation of a rejected request, cut short
// and without the API key, should the server quote it.
func (p *Provider) safeMessage(msg string) string { return provider.SafeMessage(msg, p.apiKey) }
