package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/onbehalf/onbehalf/model"
)

// mapError turns what the SDK returned into a *model.Error (or the
// context's error when the caller gave up). SDK errors are not kept.
func (p *Provider) mapError(ctx context.Context, err error, acc *accumulator) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("openai: %w", ctxErr)
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
			e.Kind, e.Cause, e.TextSent = model.ErrStreamBroken, kind, true
		}
		return e
	case acc.started:
		return p.broken(acc, transportCause(err))
	default:
		return &model.Error{Provider: "openai", Kind: model.ErrUnavailable, Cause: transportCause(err)}
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

// broken is the error for a stream that ended before a finish_reason.
func (p *Provider) broken(acc *accumulator, cause error) error {
	return &model.Error{Provider: "openai", Kind: model.ErrStreamBroken, Cause: cause, TextSent: acc.textSent}
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
	if typ == "invalid_request_error" {
		return model.ErrBadRequest
	}
	return model.ErrUnavailable // server_error and anything unknown in a stream
}

// transportCause keeps the standard-library part of a transport error.
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

// safeMessage is the server's explanation of a rejected request, cut short
// and without the API key, should the server quote it.
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
