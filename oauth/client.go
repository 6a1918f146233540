package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// MaxResponseBytes bounds every response body the client reads.
const MaxResponseBytes = 1 << 20

// DefaultDiscoveryTTL is how long Discover reuses a document when
// Client.DiscoveryTTL is zero.
const DefaultDiscoveryTTL = time.Hour

var defaultHTTPClient = &http.Client{Timeout: 30 * time.Second}

// Client calls token and discovery endpoints. The zero value is ready to
// use; a Client must not be copied after first use (it holds the discovery
// cache).
type Client struct {
	// HTTPClient sends the requests; nil means a client with a 30 s timeout.
	// Token requests never follow redirects, whatever its CheckRedirect says:
	// a redirected POST would carry the client secret and the assertion to
	// wherever the redirect points.
	HTTPClient *http.Client
	// Now is the clock used for ExpiresAt and the discovery cache; nil means
	// time.Now.
	Now func() time.Time
	// DiscoveryTTL is how long a discovery document is reused; zero means
	// DefaultDiscoveryTTL. Failures are never cached.
	DiscoveryTTL time.Duration
	// MaxRetries is how many times a token request is retried after a
	// network failure, an attempt timeout, or an HTTP 429, 500, 502, 503 or
	// 504; zero means DefaultMaxRetries, negative never. Authorization codes
	// are never retried: a code is single-use, so a retry after a lost
	// answer could only fail.
	MaxRetries int
	// RetryBackoff is the mean first wait before a retry, doubled each time
	// (full jitter); a Retry-After of up to 5 s is honoured instead, a longer
	// one ends the retries. Zero means DefaultRetryBackoff.
	RetryBackoff time.Duration
	// AttemptTimeout bounds each token request attempt (a slow server is
	// then retried like a failed one); zero means DefaultAttemptTimeout.
	AttemptTimeout time.Duration

	mu     sync.Mutex
	cache  map[string]cachedMetadata
	flight singleflight.Group
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return defaultHTTPClient
}

// noRedirect is the caller's client with redirects turned off.
func (c *Client) noRedirect() *http.Client {
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// unavailable wraps cause (which may be nil) in ErrUnavailable.
func unavailable(format string, cause error, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cause != nil {
		return fmt.Errorf("%w: %s: %w", ErrUnavailable, msg, cause)
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, msg)
}

// readBody reads at most MaxResponseBytes.
func readBody(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxResponseBytes {
		return nil, errors.New("response larger than 1 MiB")
	}
	return b, nil
}

// endpointName is the URL without query or user info, for error messages.
func endpointName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

// Retry defaults (see Client.MaxRetries).
const (
	DefaultMaxRetries     = 2
	DefaultRetryBackoff   = 200 * time.Millisecond
	DefaultAttemptTimeout = 15 * time.Second
	// maxRetryAfter: a server asking to wait longer ends the retries.
	maxRetryAfter = 5 * time.Second
)

func (c *Client) maxRetries() int {
	switch {
	case c.MaxRetries < 0:
		return 0
	case c.MaxRetries == 0:
		return DefaultMaxRetries
	}
	return c.MaxRetries
}

// token posts form (plus auth and extra) to tokenURL and parses the answer,
// retrying transient failures (see Client.MaxRetries) when retry is set.
// extra never sets the grant's own parameters or reserved ones.
func (c *Client) token(ctx context.Context, tokenURL string, auth ClientAuth, form url.Values, extra url.Values) (*Token, error) {
	return c.tokenRequest(ctx, tokenURL, auth, form, extra, true)
}

func (c *Client) tokenRequest(ctx context.Context, tokenURL string, auth ClientAuth, form url.Values, extra url.Values, retry bool) (*Token, error) {
	u, err := url.Parse(tokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oauth: token endpoint %q is not an absolute http(s) URL", endpointName(tokenURL))
	}
	addExtra(form, extra)
	if err := auth.validate(); err != nil {
		return nil, err
	}
	retries := 0
	if retry {
		retries = c.maxRetries()
	}
	backoff := c.RetryBackoff
	if backoff <= 0 {
		backoff = DefaultRetryBackoff
	}
	for n := 0; ; n++ {
		tok, wait, err := c.attempt(ctx, tokenURL, auth, cloneForm(form))
		if err == nil || wait < 0 || n >= retries || ctx.Err() != nil {
			if err != nil && n > 0 {
				err = fmt.Errorf("%w (after %d attempts)", err, n+1)
			}
			return tok, err
		}
		// Exponential backoff with full jitter, or the server's Retry-After.
		d := backoff<<n/2 + rand.N(backoff<<n/2+1)
		if wait > 0 {
			d = wait
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, unavailable("token endpoint %s", ctx.Err(), endpointName(tokenURL))
		case <-t.C:
		}
	}
}

func cloneForm(f url.Values) url.Values {
	c := make(url.Values, len(f))
	for k, v := range f {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// attempt sends one token request. wait says whether a failure may be
// retried: -1 never (an answer was given, or the request was refused), 0
// after the client's backoff, > 0 after the server's Retry-After.
func (c *Client) attempt(ctx context.Context, tokenURL string, auth ClientAuth, form url.Values) (_ *Token, wait time.Duration, _ error) {
	header := http.Header{}
	issuedAt := c.now()
	if err := auth.apply(form, header, tokenURL, issuedAt); err != nil {
		return nil, -1, err
	}
	timeout := c.AttemptTimeout
	if timeout <= 0 {
		timeout = DefaultAttemptTimeout
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, -1, fmt.Errorf("oauth: building token request: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := c.noRedirect().Do(req)
	if err != nil {
		// *url.Error names the method and URL, never the body.
		return nil, 0, unavailable("token endpoint %s", err, endpointName(tokenURL))
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, 0, unavailable("token endpoint %s: reading response", err, endpointName(tokenURL))
	}
	if resp.StatusCode == http.StatusOK {
		tok, err := parseToken(body, issuedAt, tokenURL)
		return tok, -1, err
	}
	err = parseError(resp.StatusCode, body, tokenURL)
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return nil, retryAfter(resp.Header.Get("Retry-After")), err
	}
	return nil, -1, err
}

// retryAfter is the wait a Retry-After header asks for in seconds: 0 when
// absent or unreadable, -1 (do not retry) when longer than maxRetryAfter.
func retryAfter(h string) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || secs < 0 {
		return 0
	}
	d := time.Duration(secs) * time.Second
	if d > maxRetryAfter {
		return -1
	}
	return d
}

// addExtra copies extra into form without overriding anything already set
// or reserved.
func addExtra(form, extra url.Values) {
	for k, vs := range extra {
		if k == "" || form.Has(k) || isReserved(k) {
			continue
		}
		for _, v := range vs {
			form.Add(k, v)
		}
	}
}

func isReserved(k string) bool {
	for _, r := range reservedParams {
		if k == r {
			return true
		}
	}
	return false
}

func parseToken(body []byte, issuedAt time.Time, tokenURL string) (*Token, error) {
	var tj tokenJSON
	if err := json.Unmarshal(body, &tj); err != nil {
		return nil, unavailable("token endpoint %s: response is not a JSON token response", nil, endpointName(tokenURL))
	}
	if tj.AccessToken == "" {
		return nil, unavailable("token endpoint %s: response has no access_token", nil, endpointName(tokenURL))
	}
	t := &Token{
		AccessToken:     tj.AccessToken,
		TokenType:       tj.TokenType,
		RefreshToken:    tj.RefreshToken,
		Scope:           tj.Scope,
		IssuedTokenType: tj.IssuedTokenType,
	}
	if tj.ExpiresIn > 0 {
		t.ExpiresAt = issuedAt.Add(time.Duration(tj.ExpiresIn) * time.Second)
	}
	return t, nil
}

func parseError(status int, body []byte, tokenURL string) error {
	var ej errorJSON
	if err := json.Unmarshal(body, &ej); err != nil || ej.Error == "" {
		return unavailable("token endpoint %s: HTTP %d without an OAuth error response", nil, endpointName(tokenURL), status)
	}
	return &Error{
		StatusCode:    status,
		Code:          ej.Error,
		Description:   ej.Description,
		URI:           ej.URI,
		ErrorCodes:    ej.ErrorCodes,
		Claims:        ej.Claims,
		TraceID:       ej.TraceID,
		CorrelationID: ej.CorrelationID,
	}
}
