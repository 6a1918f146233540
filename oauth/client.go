package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
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

// token posts form (plus auth and extra) to tokenURL and parses the answer.
// reserved lists the grant's own parameter names, which extra never sets.
func (c *Client) token(ctx context.Context, tokenURL string, auth ClientAuth, form url.Values, extra url.Values) (*Token, error) {
	u, err := url.Parse(tokenURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oauth: token endpoint %q is not an absolute http(s) URL", endpointName(tokenURL))
	}
	header := http.Header{}
	if err := auth.apply(form, header); err != nil {
		return nil, err
	}
	addExtra(form, extra)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("oauth: building token request: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	issuedAt := c.now()
	resp, err := c.noRedirect().Do(req)
	if err != nil {
		// *url.Error names the method and URL, never the body.
		return nil, unavailable("token endpoint %s", err, endpointName(tokenURL))
	}
	defer resp.Body.Close()
	body, err := readBody(resp.Body)
	if err != nil {
		return nil, unavailable("token endpoint %s: reading response", err, endpointName(tokenURL))
	}
	if resp.StatusCode == http.StatusOK {
		return parseToken(body, issuedAt, tokenURL)
	}
	return nil, parseError(resp.StatusCode, body, tokenURL)
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
