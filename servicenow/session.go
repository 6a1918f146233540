package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// session is one logical use of a Client: one tool call, or one call of an
// exported method. It fetches the credential once, replaces it at most
// once after a 401 (see Refresher), shares one retry-wait budget among its
// requests, and counts what it did for the audit event.
type session struct {
	c        *Client
	start    time.Time
	sign     func(*http.Request) error // nil until the first request
	forced   bool                      // the credential was replaced after a 401
	requests int                       // HTTP requests sent (or attempted)
	status   int                       // the last HTTP status received
	waited   time.Duration             // time spent waiting to retry
}

func (c *Client) newSession() *session { return &session{c: c, start: c.now()} }

// event is the audit event of the session so far.
func (s *session) event(tool, table, method, record string, rows int, err error) CallEvent {
	return CallEvent{
		Time:            s.start,
		Tool:            tool,
		Table:           table,
		Method:          method,
		Record:          record,
		Status:          s.status,
		Requests:        s.requests,
		Rows:            rows,
		Reauthenticated: s.forced,
		Duration:        s.c.now().Sub(s.start),
		Outcome:         outcomeOf(err),
	}
}

func (s *session) list(ctx context.Context, table string, opt ListOptions) (records []Record, total int, err error) {
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
	u, err := s.c.tableURL(table)
	if err != nil {
		return nil, -1, err
	}
	maxPages := s.c.MaxPages
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}

	// The next page is computed from BaseURL and the offset, never taken
	// from the Link header, so every page goes to the same host.
	total = -1
	offset := opt.Offset
	for page := 0; page < maxPages; page++ {
		params.Set("sysparm_limit", strconv.Itoa(limit))
		params.Set("sysparm_offset", strconv.Itoa(offset))
		u.RawQuery = params.Encode()
		var body struct {
			Result []Record `json:"result"`
		}
		h, err := s.do(ctx, http.MethodGet, u, nil, &body)
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

func (s *session) get(ctx context.Context, table, sysID string, opt ListOptions) (Record, error) {
	u, err := s.c.recordURL(table, sysID, opt)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, http.MethodGet, u, nil)
}

func (s *session) update(ctx context.Context, table, sysID string, fields map[string]string, opt ListOptions) (Record, error) {
	if err := checkWrite(fields); err != nil {
		return nil, err
	}
	u, err := s.c.recordURL(table, sysID, opt)
	if err != nil {
		return nil, err
	}
	return s.one(ctx, http.MethodPatch, u, fields)
}

func (s *session) create(ctx context.Context, table string, fields map[string]string, opt ListOptions) (Record, error) {
	if err := checkTable(table); err != nil {
		return nil, err
	}
	if err := checkWrite(fields); err != nil {
		return nil, err
	}
	params, err := opt.params()
	if err != nil {
		return nil, err
	}
	u, err := s.c.tableURL(table)
	if err != nil {
		return nil, err
	}
	u.RawQuery = params.Encode()
	return s.one(ctx, http.MethodPost, u, fields)
}

// one sends a request answered by {"result": {…one record…}}.
func (s *session) one(ctx context.Context, method string, u *url.URL, fields map[string]string) (Record, error) {
	var payload []byte
	if fields != nil {
		b, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("servicenow: encode body: %w", err)
		}
		payload = b
	}
	var body struct {
		Result Record `json:"result"`
	}
	if _, err := s.do(ctx, method, u, payload, &body); err != nil {
		return nil, err
	}
	if body.Result == nil {
		return nil, fmt.Errorf("%w: response has no result", ErrUnavailable)
	}
	return body.Result, nil
}

// recordURL validates table and sysID and returns the record's URL with
// opt's parameters.
func (c *Client) recordURL(table, sysID string, opt ListOptions) (*url.URL, error) {
	if err := checkTable(table); err != nil {
		return nil, err
	}
	if err := checkSysID(sysID); err != nil {
		return nil, err
	}
	params, err := opt.params()
	if err != nil {
		return nil, err
	}
	u, err := c.tableURL(table, sysID)
	if err != nil {
		return nil, err
	}
	u.RawQuery = params.Encode()
	return u, nil
}
