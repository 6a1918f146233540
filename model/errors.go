package model

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Errors a Provider's Converse fails with. Providers return them inside an
// *Error, so test for them with errors.Is.
var (
	// ErrRateLimited: the provider refused the call for the caller's rate
	// or quota (HTTP 429, ThrottlingException). Retried.
	ErrRateLimited = errors.New("model: rate limited")
	// ErrOverloaded: the provider is busy (HTTP 529, 503,
	// overloaded_error, ServiceUnavailableException). Retried.
	ErrOverloaded = errors.New("model: overloaded")
	// ErrUnavailable: the provider failed or could not be reached (other
	// 5xx, connection errors, model timeouts). Retried.
	ErrUnavailable = errors.New("model: unavailable")
	// ErrBadRequest: the provider rejected the request itself (400, 404,
	// 413, 422, ValidationException). Not retried.
	ErrBadRequest = errors.New("model: request rejected")
	// ErrAuth: the credentials were missing, wrong or not allowed to use
	// the model (401, 403, AccessDeniedException). Not retried.
	ErrAuth = errors.New("model: not authorized")
	// ErrStreamBroken: the answer stream ended before the message was
	// complete. When text had already reached onText (Error.TextSent) the
	// call is not retried, because the user has seen part of an answer.
	ErrStreamBroken = errors.New("model: answer stream broke off")
	// ErrBadToolInput: the model sent tool arguments that are not valid
	// JSON (typically cut off by max_tokens). The answer is dropped and not
	// retried. It is not handed to the agent as a tool_use with the raw
	// text: a conversation holding an invalid json.RawMessage can no longer
	// be encoded with encoding/json, so the session could not be saved.
	ErrBadToolInput = errors.New("model: tool input is not valid JSON")
)

// Error is a failed model call. It never holds a credential or a raw
// response body, so it is safe to log and to show.
type Error struct {
	// Provider is "bedrock", "anthropic" or "openai".
	Provider string
	// Kind is one of the Err… sentinels above.
	Kind error
	// Cause is a second sentinel (e.g. ErrOverloaded inside
	// ErrStreamBroken) or a standard-library error (a context or network
	// error). Never a vendor SDK type.
	Cause error
	// Status is the HTTP status, 0 when there was none (a stream event, a
	// connection failure).
	Status int
	// Code is the provider's error type, e.g. "overloaded_error",
	// "ThrottlingException", "rate_limit_exceeded".
	Code string
	// RequestID is the provider's request id, for support tickets.
	RequestID string
	// RetryAfter is the wait the provider asked for, 0 when it did not.
	RetryAfter time.Duration
	// Message explains ErrBadRequest (the provider's words, cut short and
	// with the provider's credentials removed) and ErrBadToolInput (which
	// tool); it is empty otherwise.
	Message string
	// TextSent says text of this answer had already reached onText.
	TextSent bool
	// Attempts is how many calls were made, set by Retry.Do.
	Attempts int
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	b.WriteString(": ")
	b.WriteString(strings.TrimPrefix(errText(e.Kind), "model: "))
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(e.Cause.Error(), "model: "))
	}
	var details []string
	if e.Status != 0 {
		details = append(details, "HTTP "+strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		details = append(details, e.Code)
	}
	if e.RequestID != "" {
		details = append(details, "request "+e.RequestID)
	}
	if e.Attempts > 1 {
		details = append(details, strconv.Itoa(e.Attempts)+" attempts")
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

func errText(err error) string {
	if err == nil {
		return "failed"
	}
	return err.Error()
}

// Unwrap lets errors.Is find Kind and Cause.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// Temporary reports whether calling again may succeed: the provider was
// rate limited, overloaded, unavailable, or its stream broke before any
// text reached the user.
func (e *Error) Temporary() bool {
	if e.TextSent {
		return false
	}
	for _, k := range []error{ErrRateLimited, ErrOverloaded, ErrUnavailable, ErrStreamBroken} {
		if errors.Is(e, k) {
			return true
		}
	}
	return false
}

// Retry defaults.
const (
	DefaultMaxRetries = 3
	DefaultMaxWait    = 30 * time.Second
	retryBase         = 500 * time.Millisecond
	retryCap          = 8 * time.Second
)

// Retry is the retry policy every provider applies to one model call:
// temporary failures (see Error.Temporary) are retried with exponential
// backoff and jitter, or after exactly the wait the provider asked for.
type Retry struct {
	// MaxRetries bounds the retries after the first attempt:
	// DefaultMaxRetries when 0, none when negative.
	MaxRetries int
	// Sleep waits d or until ctx is done (a timer when nil). Tests inject
	// one that returns at once and records d.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxWait is the longest Retry-After honoured (DefaultMaxWait when 0).
	// A provider asking for a longer wait ends the retries at once: the
	// caller learns it is rate limited instead of hanging.
	MaxWait time.Duration
}

// Do calls call (attempt counts from 1) until it succeeds, fails with an
// error that is not a temporary *Error, or the retries are spent. It
// returns the last error with Attempts set.
func (r Retry) Do(ctx context.Context, call func(attempt int) error) error {
	maxRetries := r.MaxRetries
	if maxRetries == 0 {
		maxRetries = DefaultMaxRetries
	}
	for attempt := 1; ; attempt++ {
		err := call(attempt)
		if err == nil {
			return nil
		}
		var me *Error
		if !errors.As(err, &me) {
			return err
		}
		me.Attempts = attempt
		if !me.Temporary() || attempt > maxRetries || ctx.Err() != nil {
			return err
		}
		d, ok := r.delay(attempt, me.RetryAfter)
		if !ok {
			return err
		}
		if serr := r.sleep(ctx, d); serr != nil {
			return errors.Join(err, serr)
		}
	}
}

// delay is the wait before retry number attempt: the provider's
// Retry-After when given (false when it exceeds MaxWait), else
// exponential backoff from 500ms to 8s with equal jitter.
func (r Retry) delay(attempt int, retryAfter time.Duration) (time.Duration, bool) {
	if retryAfter > 0 {
		maxWait := r.MaxWait
		if maxWait <= 0 {
			maxWait = DefaultMaxWait
		}
		return retryAfter, retryAfter <= maxWait
	}
	d := retryBase << min(attempt-1, 10)
	d = min(d, retryCap)
	return d/2 + rand.N(d/2+1), true
}

func (r Retry) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ParseRetryAfter reads the wait a provider asked for from the
// retry-after-ms header (OpenAI, Anthropic) or Retry-After (seconds or an
// HTTP date, RFC 9110). It returns 0 when there is none.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && s < 1e6 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
