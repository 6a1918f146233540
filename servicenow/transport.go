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

// do sends one request (retrying reads on 429/503), checks the answer and
// decodes a 2xx JSON body into out. It returns the response headers.
func (c *Client) do(ctx context.Context, method string, u *url.URL, payload []byte, sign func(*http.Request) error, out any) (http.Header, error) {
	for attempt := 0; ; attempt++ {
		h, status, body, secrets, err := c.send(ctx, method, u, payload, sign)
		if err != nil {
			return nil, err
		}
		if status >= 200 && status < 300 {
			if ct := h.Get("Content-Type"); !strings.Contains(strings.ToLower(ct), "json") {
				// A hibernating developer instance answers 200 with an HTML page.
				return nil, fmt.Errorf("%w: %s %s answered %q, not JSON", ErrUnavailable, method, u.Path, shorten(ct))
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return nil, fmt.Errorf("%w: %s %s: malformed JSON response", ErrUnavailable, method, u.Path)
			}
			return h, nil
		}
		apiErr := parseError(status, body, secrets)
		if method != http.MethodGet || c.NoRetry || attempt >= maxRetries || (status != 429 && status != 503) {
			return nil, apiErr
		}
		wait, ok := retryAfter(h.Get("Retry-After"), attempt)
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
	}
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
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
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

// retryAfter is how long to wait before retry number attempt+1, and
// whether to retry at all.
func retryAfter(header string, attempt int) (time.Duration, bool) {
	if header == "" {
		return time.Duration(attempt+1) * time.Second, true
	}
	secs, err := strconv.Atoi(strings.TrimSpace(header))
	if err != nil || secs < 0 {
		return 0, false
	}
	d := time.Duration(secs) * time.Second
	return d, d <= maxRetryWait
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
