package servicenow

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
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
	// DefaultMaxRetries is how many times one request is retried after a
	// 429 (any method) or a 502/503/504 (reads only).
	DefaultMaxRetries = 3
	// DefaultMaxRetryWait bounds the time one operation (or tool call)
	// spends waiting between retries. A Retry-After that would exceed it
	// is not waited out: the call fails with ErrRateLimited or
	// ErrUnavailable at once (ServiceNow's limits are per hour).
	DefaultMaxRetryWait = 10 * time.Second
)

// Client calls the ServiceNow Table API as the user whose token Tokens
// gives. The zero value is not usable: BaseURL and Tokens (or Auth) are
// required. A Client is safe for concurrent use if its TokenSource is.
type Client struct {
	// BaseURL is the instance, e.g. https://example.service-now.com. It
	// must be https unless its host is loopback or AllowInsecureHTTP is set.
	// Every request goes to this host: pages are computed from it (never
	// taken from a Link header) and redirects are not followed.
	BaseURL string
	// HTTPClient sends requests; nil means http.DefaultClient. Its
	// CheckRedirect is overridden: a redirect is never followed.
	HTTPClient *http.Client
	// Tokens gives the bearer token for each call ("Authorization: Bearer").
	// If it also implements Refresher, a 401 is retried once with a token
	// from ForceToken.
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
	// NoRetry turns off retrying 429/502/503/504 answers.
	NoRetry bool
	// MaxRetries bounds retries of one request; 0 means DefaultMaxRetries.
	MaxRetries int
	// MaxRetryWait bounds the total wait for retries of one operation; 0
	// means DefaultMaxRetryWait.
	MaxRetryWait time.Duration
	// Sleep waits before a retry; nil waits on a timer or ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock (Retry-After dates, audit durations); nil means
	// time.Now.
	Now func() time.Time
	// Audit, when set, is called once per tool call, and once per call of
	// an exported method (List, Get, Update, UpdateWith, Create). The
	// event holds no token and no record content.
	Audit func(ctx context.Context, ev CallEvent)
	// AllowInsecureHTTP permits a plain-http BaseURL on a non-loopback
	// host, which would send users' tokens in clear text.
	AllowInsecureHTTP bool
}

// ListOptions shape a List (and, for Fields, DisplayValue and
// ExcludeReferenceLink, a Get, Update or Create).
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
	s := c.newSession()
	records, total, err = s.list(ctx, table, opt)
	c.audit(ctx, s.event("", table, http.MethodGet, "", len(records), err))
	return records, total, err
}

// Get returns the row of table with sysID. A row that does not exist or
// that the user may not read is ErrNotFound.
func (c *Client) Get(ctx context.Context, table, sysID string, opt ListOptions) (Record, error) {
	s := c.newSession()
	rec, err := s.get(ctx, table, sysID, opt)
	c.audit(ctx, s.event("", table, http.MethodGet, sysID, rowCount(rec), err))
	return rec, err
}

// Update PATCHes fields of the row of table with sysID and returns the row
// as ServiceNow gives it back.
func (c *Client) Update(ctx context.Context, table, sysID string, fields map[string]string) (Record, error) {
	return c.UpdateWith(ctx, table, sysID, fields, ListOptions{})
}

// UpdateWith is Update with opt.Fields, opt.DisplayValue and
// opt.ExcludeReferenceLink applied to the returned row.
func (c *Client) UpdateWith(ctx context.Context, table, sysID string, fields map[string]string, opt ListOptions) (Record, error) {
	s := c.newSession()
	rec, err := s.update(ctx, table, sysID, fields, opt)
	c.audit(ctx, s.event("", table, http.MethodPatch, sysID, rowCount(rec), err))
	return rec, err
}

// Create POSTs a new row of table with fields and returns it as ServiceNow
// gives it back (201), with opt.Fields, opt.DisplayValue and
// opt.ExcludeReferenceLink applied. Fields left out get the table's
// defaults (on incident, opened_by is the calling user; caller_id has no
// default). A Create is retried only after a 429, which ServiceNow sends
// before doing anything, so a retry cannot create a second row.
func (c *Client) Create(ctx context.Context, table string, fields map[string]string, opt ListOptions) (Record, error) {
	s := c.newSession()
	rec, err := s.create(ctx, table, fields, opt)
	c.audit(ctx, s.event("", table, http.MethodPost, rec.Value("sys_id"), rowCount(rec), err))
	return rec, err
}

func rowCount(r Record) int {
	if r == nil {
		return 0
	}
	return 1
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) audit(ctx context.Context, ev CallEvent) {
	if c.Audit != nil {
		c.Audit(ctx, ev)
	}
}

// maxWriteLen bounds one written value (journal fields hold long text).
const maxWriteLen = 32 << 10

// checkWrite validates the columns and sizes of a POST or PATCH body.
func checkWrite(fields map[string]string) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: no fields to write", ErrInvalidOption)
	}
	for name, v := range fields {
		if !validColumn(name) {
			return &QueryError{Field: shorten(name), Reason: "not a column name", Err: ErrInvalidField}
		}
		if len(v) > maxWriteLen {
			return &QueryError{Field: name, Reason: fmt.Sprintf("value longer than %d bytes", maxWriteLen), Err: ErrUnsafeValue}
		}
	}
	return nil
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

// signer fetches the credential and returns the function that puts it on
// each request.
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
	return bearer(tok)
}

func bearer(tok string) (func(*http.Request) error, error) {
	if tok == "" {
		return nil, fmt.Errorf("%w: empty token", ErrNoToken)
	}
	return func(r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}, nil
}
