package servicenow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// do sends one request, checks the answer and decodes a 2xx JSON body
// into out. It returns the response headers.
//
// A 401 is retried once with a freshly exchanged token when Tokens is a
// Refresher; 429 (any method) and 502/503/504 (GET only: a write that timed
// out at a gateway may have been applied) are retried after Retry-After or
// a backoff, within Client.MaxRetries and the session's wait budget.
func (s *session) do(ctx context.Context, method string, u *url.URL, payload []byte, out any) (http.Header, error) {
	c := s.c
	for retries := 0; ; {
		if s.sign == nil {
			sign, err := c.signer(ctx)
			if err != nil {
				return nil, err
			}
			s.sign = sign
		}
		s.requests++
		h, status, body, secrets, err := c.send(ctx, method, u, payload, s.sign)
		if err != nil {
			return nil, err
		}
		s.status = status
		switch {
		case status >= 200 && status < 300:
			return h, decodeBody(method, u, h, body, out)
		case status >= 300 && status < 400:
			// Redirects are not followed: the token must not travel to
			// another host or over plain http.
			return nil, fmt.Errorf("%w: %s %s answered %d (a redirect, not followed)", ErrUnavailable, method, u.Path, status)
		}
		apiErr := parseError(status, body, secrets)
		if status == http.StatusUnauthorized && !s.forced {
			ok, err := s.reauthenticate(ctx)
			if err != nil {
				return nil, err
			}
			if ok {
				continue
			}
		}
		wait, ok := s.retryWait(ctx, method, status, h, retries)
		if !ok {
			return nil, apiErr
		}
		sleep := c.Sleep
		if sleep == nil {
			sleep = sleepCtx
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
		s.waited += wait
		retries++
	}
}

// reauthenticate replaces the session's token with one from
// Refresher.ForceToken, once. It reports false when there is nothing to
// refresh (Basic auth, or a TokenSource that is not a Refresher).
func (s *session) reauthenticate(ctx context.Context) (bool, error) {
	if s.c.Auth != nil {
		return false, nil
	}
	r, ok := s.c.Tokens.(Refresher)
	if !ok {
		return false, nil
	}
	s.forced = true
	tok, err := r.ForceToken(ctx)
	if err != nil {
		return false, fmt.Errorf("%w: forced re-authentication after 401: %w", ErrNoToken, err)
	}
	sign, err := bearer(tok)
	if err != nil {
		return false, err
	}
	s.sign = sign
	return true, nil
}

// retryWait says whether to retry an answer with status, and after how
// long: Retry-After (seconds or an HTTP-date) when given and readable,
// else 1 s, 2 s, 4 s, … . It refuses when retries are used up or the wait
// would exceed the session's budget or ctx's deadline.
func (s *session) retryWait(ctx context.Context, method string, status int, h http.Header, retries int) (time.Duration, bool) {
	c := s.c
	if c.NoRetry || !retryable(method, status) {
		return 0, false
	}
	maxRetries := c.MaxRetries
	if maxRetries <= 0 {
		maxRetries = DefaultMaxRetries
	}
	budget := c.MaxRetryWait
	if budget <= 0 {
		budget = DefaultMaxRetryWait
	}
	if retries >= maxRetries {
		return 0, false
	}
	wait := time.Second << min(retries, 16)
	if d, ok := parseRetryAfter(h.Get("Retry-After"), c.now()); ok {
		wait = d
	}
	if wait > budget-s.waited {
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && c.now().Add(wait).After(dl) {
		return 0, false
	}
	return wait, true
}

func retryable(method string, status int) bool {
	switch status {
	case http.StatusTooManyRequests:
		// ServiceNow's rate limiter answers before doing anything.
		return true
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return method == http.MethodGet
	}
	return false
}

// maxRetryAfter caps a Retry-After in seconds so the duration cannot
// overflow; anything this long is never waited out anyway.
const maxRetryAfter = 365 * 24 * time.Hour

// parseRetryAfter reads Retry-After as delay-seconds or an HTTP-date
// (RFC 9110 10.2.3) relative to now. A date in the past means no wait.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxRetryAfter), true
}

func decodeBody(method string, u *url.URL, h http.Header, body []byte, out any) error {
	if ct := h.Get("Content-Type"); !strings.Contains(strings.ToLower(ct), "json") {
		// A hibernating developer instance answers 200 with an HTML page.
		return fmt.Errorf("%w: %s %s answered %q, not JSON", ErrUnavailable, method, u.Path, shorten(ct))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%w: %s %s: malformed JSON response", ErrUnavailable, method, u.Path)
	}
	return nil
}

func (c *Client) send(ctx context.Context, method string, u *url.URL, payload []byte, sign func(*http.Request) error) (http.Header, int, []byte, []string, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, 0, nil, nil, fmt.Errorf("servicenow: build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	ua := c.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	req.Header.Set("User-Agent", ua)
	if err := sign(req); err != nil {
		return nil, 0, nil, nil, fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	secrets := secretsOf(req)
	hc := http.Client{}
	if c.HTTPClient != nil {
		hc = *c.HTTPClient
	}
	hc.CheckRedirect = noRedirect
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, nil, nil, fmt.Errorf("servicenow: %s %s: %w", method, u.Path, ctx.Err())
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is already named below
		}
		return nil, 0, nil, nil, fmt.Errorf("%w: %s %s: %w", ErrUnavailable, method, u.Path, err)
	}
	defer resp.Body.Close()
	limit := c.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, nil, nil, fmt.Errorf("servicenow: %s %s: %w", method, u.Path, ctx.Err())
		}
		return nil, 0, nil, nil, fmt.Errorf("%w: %s %s: reading response: %w", ErrUnavailable, method, u.Path, err)
	}
	if int64(len(body)) > limit {
		return nil, 0, nil, nil, fmt.Errorf("%w: %s %s: more than %d bytes", ErrResponseTooLarge, method, u.Path, limit)
	}
	return resp.Header, resp.StatusCode, body, secrets, nil
}

// parseError reads the ServiceNow error envelope; anything else becomes an
// *Error carrying only the status text.
func parseError(status int, body []byte, secrets []string) *Error {
	var env struct {
		Error struct {
			Message any `json:"message"`
			Detail  any `json:"detail"`
		} `json:"error"`
	}
	e := &Error{Status: status}
	if json.Unmarshal(body, &env) == nil {
		e.Message = cleanMessage(asString(env.Error.Message), secrets)
		e.Detail = cleanMessage(asString(env.Error.Detail), secrets)
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// parseTotal reads X-Total-Count, or -1.
func parseTotal(h http.Header) int {
	n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-Total-Count")))
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// morePages says whether rows may exist at nextOffset. X-Total-Count is the
// best evidence, then a Link header's rel="next"; with neither, only a full
// page suggests more.
func morePages(h http.Header, total, nextOffset, got, pageSize int) bool {
	if total >= 0 {
		return nextOffset < total
	}
	if links := h.Values("Link"); len(links) > 0 {
		return hasNextLink(links)
	}
	return got >= pageSize
}

func hasNextLink(links []string) bool {
	for _, l := range links {
		for _, part := range strings.Split(l, ",") {
			for _, p := range strings.Split(part, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(k, "rel") && strings.Trim(v, `"`) == "next" {
					return true
				}
			}
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// noRedirect makes http.Client return a redirect as the response.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
