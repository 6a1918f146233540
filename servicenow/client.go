package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults and bounds of Client and ListOptions.
const (
	DefaultListLimit        = 100
	MaxListLimit            = 1000
	DefaultMaxPages         = 20
	DefaultMaxResponseBytes = 8 << 20
	DefaultUserAgent        = "onbehalf-servicenow"
	// maxRetries is how many times a read is retried on 429 or 503.
	maxRetries = 2
	// maxRetryWait: a longer Retry-After is returned as ErrRateLimited
	// rather than waited out (ServiceNow's limits are per hour).
	maxRetryWait = 10 * time.Second
)

// Client calls the ServiceNow Table API as the user whose token Tokens
// gives. The zero value is not usable: BaseURL and Tokens (or Auth) are
// required. A Client is safe for concurrent use if its TokenSource is.
type Client struct {
	// BaseURL is the instance, e.g. https://example.service-now.com. It
	// must be https unless its host is loopback or AllowInsecureHTTP is set.
	BaseURL string
	// HTTPClient sends requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Tokens gives the bearer token for each call ("Authorization: Bearer").
	Tokens TokenSource
	// UserAgent is sent on every request; "" means DefaultUserAgent.
	UserAgent string

	// Auth, when set, signs each request instead of Tokens, e.g.
	// BasicAuth("admin", pw) for emulator administration and tests.
	Auth func(*http.Request) error
	// MaxResponseBytes bounds each response body; 0 means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxPages bounds the requests one List makes; 0 means DefaultMaxPages.
	MaxPages int
	// NoRetry turns off retrying reads answered 429 or 503.
	NoRetry bool
	// Sleep waits before a retry; nil waits on a timer or ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// AllowInsecureHTTP permits a plain-http BaseURL on a non-loopback
	// host, which would send users' tokens in clear text.
	AllowInsecureHTTP bool
}

// ListOptions shape a List (and, for Fields, DisplayValue and
// ExcludeReferenceLink, a Get or Update).
type ListOptions struct {
	Query  *Query
	Fields []string // sysparm_fields; nil means every field
	// Limit is how many rows List returns at most: 0 means
	// DefaultListLimit, more than MaxListLimit is refused.
	Limit  int
	Offset int
	// DisplayValue is sysparm_display_value: "", "true", "false" or "all".
	DisplayValue string
	// ExcludeReferenceLink sets sysparm_exclude_reference_link=true.
	ExcludeReferenceLink bool
}

// List returns up to opt.Limit rows of table matching opt.Query.
//
// ServiceNow applies sysparm_limit before read ACLs, so a page can come back
// short (or empty) while visible rows exist further on; List keeps asking
// for the next page until it has opt.Limit rows, the result set is
// exhausted, or Client.MaxPages requests were made. total is X-Total-Count
// from the first page, or -1 if ServiceNow did not send it.
func (c *Client) List(ctx context.Context, table string, opt ListOptions) (records []Record, total int, err error) {
	if err := checkTable(table); err != nil {
		return nil, -1, err
	}
	limit := opt.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	if limit < 0 || limit > MaxListLimit {
		return nil, -1, fmt.Errorf("%w: limit %d not in 1..%d", ErrInvalidOption, opt.Limit, MaxListLimit)
	}
	if opt.Offset < 0 {
		return nil, -1, fmt.Errorf("%w: negative offset", ErrInvalidOption)
	}
	params, err := opt.params()
	if err != nil {
		return nil, -1, err
	}
	if opt.Query != nil {
		enc, err := opt.Query.Encode()
		if err != nil {
			return nil, -1, err
		}
		if enc != "" {
			params.Set("sysparm_query", enc)
		}
	}
	u, err := c.tableURL(table)
	if err != nil {
		return nil, -1, err
	}
	sign, err := c.signer(ctx)
	if err != nil {
		return nil, -1, err
	}
	maxPages := c.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}

	total = -1
	offset := opt.Offset
	for page := 0; page < maxPages; page++ {
		params.Set("sysparm_limit", strconv.Itoa(limit))
		params.Set("sysparm_offset", strconv.Itoa(offset))
		u.RawQuery = params.Encode()
		var body struct {
			Result []Record `json:"result"`
		}
		h, err := c.do(ctx, http.MethodGet, u, nil, sign, &body)
		if err != nil {
			return nil, -1, err
		}
		pageTotal := parseTotal(h)
		if page == 0 {
			total = pageTotal
		}
		records = append(records, body.Result...)
		if len(records) >= limit {
			return records[:limit], total, nil
		}
		offset += limit
		if !morePages(h, pageTotal, offset, len(body.Result), limit) {
			break
		}
	}
	if records == nil {
		records = []Record{}
	}
	return records, total, nil
}

// Get returns the row of table with sysID. A row that does not exist or
// that the user may not read is ErrNotFound.
func (c *Client) Get(ctx context.Context, table, sysID string, opt ListOptions) (Record, error) {
	u, params, sign, err := c.recordCall(ctx, table, sysID, opt)
	if err != nil {
		return nil, err
	}
	u.RawQuery = params.Encode()
	var body struct {
		Result Record `json:"result"`
	}
	if _, err := c.do(ctx, http.MethodGet, u, nil, sign, &body); err != nil {
		return nil, err
	}
	if body.Result == nil {
		return nil, fmt.Errorf("%w: response has no result", ErrUnavailable)
	}
	return body.Result, nil
}

// Update PATCHes fields of the row of table with sysID and returns the row
// as ServiceNow gives it back.
func (c *Client) Update(ctx context.Context, table, sysID string, fields map[string]string) (Record, error) {
	return c.UpdateWith(ctx, table, sysID, fields, ListOptions{})
}

// UpdateWith is Update with opt.Fields, opt.DisplayValue and
// opt.ExcludeReferenceLink applied to the returned row.
func (c *Client) UpdateWith(ctx context.Context, table, sysID string, fields map[string]string, opt ListOptions) (Record, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no fields to update", ErrInvalidOption)
	}
	for name, v := range fields {
		if !validColumn(name) {
			return nil, &QueryError{Field: shorten(name), Reason: "not a column name", Err: ErrInvalidField}
		}
		if len(v) > maxWriteLen {
			return nil, &QueryError{Field: name, Reason: fmt.Sprintf("value longer than %d bytes", maxWriteLen), Err: ErrUnsafeValue}
		}
	}
	u, params, sign, err := c.recordCall(ctx, table, sysID, opt)
	if err != nil {
		return nil, err
	}
	u.RawQuery = params.Encode()
	payload, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("servicenow: encode update: %w", err)
	}
	var body struct {
		Result Record `json:"result"`
	}
	if _, err := c.do(ctx, http.MethodPatch, u, payload, sign, &body); err != nil {
		return nil, err
	}
	if body.Result == nil {
		return nil, fmt.Errorf("%w: response has no result", ErrUnavailable)
	}
	return body.Result, nil
}

// maxWriteLen bounds one written value (journal fields hold long text).
const maxWriteLen = 32 << 10

func (c *Client) recordCall(ctx context.Context, table, sysID string, opt ListOptions) (*url.URL, url.Values, func(*http.Request) error, error) {
	if err := checkTable(table); err != nil {
		return nil, nil, nil, err
	}
	if err := checkSysID(sysID); err != nil {
		return nil, nil, nil, err
	}
	params, err := opt.params()
	if err != nil {
		return nil, nil, nil, err
	}
	u, err := c.tableURL(table, sysID)
	if err != nil {
		return nil, nil, nil, err
	}
	sign, err := c.signer(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	return u, params, sign, nil
}

func (o ListOptions) params() (url.Values, error) {
	v := url.Values{}
	if len(o.Fields) > 0 {
		for _, f := range o.Fields {
			if !validField(f) {
				return nil, &QueryError{Field: shorten(f), Reason: "not a column name", Err: ErrInvalidField}
			}
		}
		v.Set("sysparm_fields", strings.Join(o.Fields, ","))
	}
	switch o.DisplayValue {
	case "":
	case "true", "false", "all":
		v.Set("sysparm_display_value", o.DisplayValue)
	default:
		return nil, fmt.Errorf("%w: DisplayValue must be \"\", \"true\", \"false\" or \"all\"", ErrInvalidOption)
	}
	if o.ExcludeReferenceLink {
		v.Set("sysparm_exclude_reference_link", "true")
	}
	return v, nil
}

// tableURL is BaseURL/api/now/table/{table}[/{sysID}], each segment
// path-escaped (they are validated before they get here).
func (c *Client) tableURL(table string, sysID ...string) (*url.URL, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil || base.Host == "" || (base.Scheme != "https" && base.Scheme != "http") {
		return nil, fmt.Errorf("%w: BaseURL must be an absolute http(s) URL", ErrInvalidOption)
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("%w: BaseURL must not carry credentials, a query or a fragment", ErrInvalidOption)
	}
	if base.Scheme == "http" && !c.AllowInsecureHTTP && !isLoopback(base.Hostname()) {
		return nil, fmt.Errorf("%w: BaseURL must be https (tokens would travel in clear text)", ErrInvalidOption)
	}
	elems := []string{"api", "now", "table", url.PathEscape(table)}
	for _, id := range sysID {
		elems = append(elems, url.PathEscape(id))
	}
	return base.JoinPath(elems...), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// signer fetches the credential once per operation and returns the
// function that puts it on each request of that operation.
func (c *Client) signer(ctx context.Context) (func(*http.Request) error, error) {
	if c.Auth != nil {
		return c.Auth, nil
	}
	if c.Tokens == nil {
		return nil, fmt.Errorf("%w: Client has neither Tokens nor Auth", ErrNoToken)
	}
	tok, err := c.Tokens.Token(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoToken, err)
	}
	if tok == "" {
		return nil, fmt.Errorf("%w: empty token", ErrNoToken)
	}
	return func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}, nil
}
