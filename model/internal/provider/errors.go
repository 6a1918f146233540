package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/onbehalf/onbehalf/model"
)

// Canceled is the context's error when the caller gave up, else nil.
func Canceled(ctx context.Context, provider string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", provider, err)
	}
	return nil
}

// Broken is the error for a stream that ended before the message did.
func Broken(provider string, textSent bool, cause error) error {
	return &model.Error{Provider: provider, Kind: model.ErrStreamBroken, Cause: cause, TextSent: textSent}
}

// BrokeAfterText turns e, which arrived in a stream after text reached
// the user, into a broken stream caused by e's kind: it must not be
// retried.
func BrokeAfterText(e *model.Error) {
	e.Kind, e.Cause, e.TextSent = model.ErrStreamBroken, e.Kind, true
}

// BadRequest is a request this provider cannot send, explained by msg.
func BadRequest(provider, msg string) error {
	return &model.Error{Provider: provider, Kind: model.ErrBadRequest, Message: msg}
}

// BadToolInput is the error for tool arguments that are not valid JSON;
// why is the end of the message, e.g. "stop reason max_tokens".
func BadToolInput(provider, tool, why string, textSent bool) error {
	msg := "the model sent tool arguments that are not valid JSON"
	if tool != "" {
		msg = fmt.Sprintf("the arguments for tool %q are not valid JSON", tool)
	}
	return &model.Error{
		Provider: provider, Kind: model.ErrBadToolInput, TextSent: textSent,
		Message: fmt.Sprintf("%s (%s)", msg, why),
	}
}

// KindOfStatus classifies an HTTP status the provider's own error codes
// did not: 429, 529/503, 401/403, 408/5xx, other 4xx. ok is false below
// 400.
func KindOfStatus(status int) (kind error, ok bool) {
	switch {
	case status == http.StatusTooManyRequests:
		return model.ErrRateLimited, true
	case status == 529 || status == http.StatusServiceUnavailable:
		return model.ErrOverloaded, true
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return model.ErrAuth, true
	case status == http.StatusRequestTimeout || status >= 500:
		return model.ErrUnavailable, true
	case status >= 400:
		return model.ErrBadRequest, true
	}
	return nil, false
}

// TransportCause keeps the standard-library part of a transport error:
// never the SDK's wrapper, whose text may quote a body, nor the URL.
func TransportCause(err error) error {
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

// maxMessage bounds the provider's explanation kept in an error.
const maxMessage = 300

// SafeMessage is a provider's explanation of a rejected request, cut
// short and without any of secrets, should the provider quote one.
func SafeMessage(msg string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return msg
}
