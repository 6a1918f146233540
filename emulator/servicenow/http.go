package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds PATCH/PUT bodies.
const maxBodyBytes = 1 << 20

// statusWriter remembers the status for the transaction log.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP authenticates the caller, serves the request and records it in
// syslog_transaction (also when authentication fails: user "guest").
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w}
	p, err := s.authenticate(r)
	if err != nil {
		if !errors.Is(err, errNoCredentials) {
			s.log.InfoContext(r.Context(), "servicenow: authentication failed",
				"reason", err.Error(), "credential_sha256", shortHash(r.Header.Get("Authorization")))
		}
		s.challenge(sw, r)
	} else {
		s.route(sw, r, p)
	}
	s.logTransaction(r, p, sw.code, start)
}

func (s *Server) challenge(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("WWW-Authenticate", `Basic realm="Service-now"`)
	if len(s.oidc) > 0 {
		c := `Bearer realm="Service-now"`
		if scheme, _, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "bearer") {
			c += `, error="invalid_token"`
		}
		w.Header().Add("WWW-Authenticate", c)
	}
	writeError(w, errUnauthenticated)
}

func (s *Server) logTransaction(r *http.Request, p *principal, status int, start time.Time) {
	user, method := "guest", ""
	if p != nil {
		user, method = p.UserName, p.Method
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	elapsed := s.now().Sub(start).Milliseconds()
	err = s.insert(context.WithoutCancel(r.Context()), s.db, "syslog_transaction", user, map[string]string{
		"url":           r.URL.RequestURI(),
		"type":          "REST",
		"http_method":   r.Method,
		"http_status":   strconv.Itoa(status),
		"response_time": strconv.FormatInt(elapsed, 10),
		"remote_ip":     host,
		"auth_method":   method,
	})
	if err != nil {
		s.log.ErrorContext(r.Context(), "servicenow: write syslog_transaction", "error", err)
	}
}

// tableRoute is a parsed /api/now[/v1|/v2]/table/{table}[/{sys_id}] path.
type tableRoute struct {
	version string // "", "v1" or "v2"
	table   string
	sysID   string
}

func parseTableRoute(path string) (tableRoute, bool) {
	rest, ok := strings.CutPrefix(path, "/api/now/")
	if !ok {
		return tableRoute{}, false
	}
	var rt tableRoute
	for _, v := range []string{"v1", "v2"} {
		if after, ok := strings.CutPrefix(rest, v+"/"); ok {
			rt.version, rest = v, after
		}
	}
	rest, ok = strings.CutPrefix(rest, "table/")
	if !ok {
		return tableRoute{}, false
	}
	parts := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] != "":
		rt.table = parts[0]
	case len(parts) == 2 && parts[0] != "" && parts[1] != "":
		rt.table, rt.sysID = parts[0], parts[1]
	default:
		return tableRoute{}, false
	}
	return rt, true
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, p *principal) {
	rt, ok := parseTableRoute(r.URL.Path)
	if !ok {
		writeError(w, errBadURI)
		return
	}
	t := s.dict.table(rt.table)
	if t == nil {
		writeError(w, badParam("Invalid table "+rt.table, ""))
		return
	}
	switch {
	case rt.sysID == "" && r.Method == http.MethodGet:
		s.handleList(w, r, p, rt, t)
	case rt.sysID != "" && r.Method == http.MethodGet:
		s.handleGet(w, r, p, t, rt.sysID)
	case rt.sysID != "" && (r.Method == http.MethodPatch || r.Method == http.MethodPut):
		s.handleUpdate(w, r, p, t, rt.sysID)
	default:
		// TODO: POST (201 + Location) and DELETE (204).
		if rt.sysID == "" {
			w.Header().Set("Allow", "GET")
		} else {
			w.Header().Set("Allow", "GET, PATCH, PUT")
		}
		writeError(w, errMethod)
	}
}

func (s *Server) requestBaseURL(r *http.Request) string {
	if s.baseURL != "" {
		return s.baseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func boolParam(q url.Values, name string) bool {
	return strings.EqualFold(q.Get(name), "true")
}

func intParam(q url.Values, name string, def int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e := badParam("Invalid value for "+name, name+" must be a non-negative integer")
		return 0, &e
	}
	return n, nil
}

func renderOpts(r *http.Request, base string) renderOptions {
	q := r.URL.Query()
	o := renderOptions{
		mode:        parseDisplayMode(q.Get("sysparm_display_value")),
		excludeLink: boolParam(q, "sysparm_exclude_reference_link"),
		baseURL:     base,
	}
	if fs := q.Get("sysparm_fields"); fs != "" {
		o.fields = []string{}
		for _, f := range strings.Split(fs, ",") {
			o.fields = append(o.fields, strings.TrimSpace(f))
		}
	}
	return o
}

// defaultLimit is sysparm_limit when absent.
const defaultLimit = 10000

func (s *Server) handleList(w http.ResponseWriter, r *http.Request, p *principal, rt tableRoute, t *table) {
	q := r.URL.Query()
	limit, e := intParam(q, "sysparm_limit", defaultLimit)
	if e != nil {
		writeError(w, *e)
		return
	}
	offset, e := intParam(q, "sysparm_offset", 0)
	if e != nil {
		writeError(w, *e)
		return
	}
	res, err := s.list(r.Context(), p, listRequest{
		table: t, query: q.Get("sysparm_query"), limit: limit, offset: offset,
		noCount: boolParam(q, "sysparm_no_count"),
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if len(res.records) == 0 && rt.version == "v1" {
		writeError(w, errNoRecord)
		return
	}
	base := s.requestBaseURL(r)
	out, err := s.render(r.Context(), t, res.records, renderOpts(r, base))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if res.total >= 0 {
		w.Header().Set("X-Total-Count", strconv.Itoa(res.total))
	}
	if !boolParam(q, "sysparm_suppress_pagination_header") && limit > 0 {
		w.Header().Set("Link", linkHeader(base+r.URL.EscapedPath(), r.URL.RawQuery, limit, offset, res.total, len(res.records)))
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": out})
}

// linkHeader builds first/prev/next/last links the way a real instance does:
// the request URL with sysparm_offset replaced (appended last). prev is sent
// even on the first page (offset may be negative, as in a real capture);
// next only while rows remain; last is the start of the last full-size page.
// Without a count (sysparm_no_count) next follows a full page and last is
// omitted.
func linkHeader(target, rawQuery string, limit, offset, total, got int) string {
	var keep []string
	hasLimit := false
	for _, kv := range strings.Split(rawQuery, "&") {
		if kv == "" {
			continue
		}
		k, _, _ := strings.Cut(kv, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		switch k {
		case "sysparm_offset":
			continue
		case "sysparm_limit":
			hasLimit = true
		}
		keep = append(keep, kv)
	}
	if !hasLimit {
		keep = append(keep, "sysparm_limit="+strconv.Itoa(limit))
	}
	link := func(off int, rel string) string {
		q := append(keep[:len(keep):len(keep)], "sysparm_offset="+strconv.Itoa(off))
		return "<" + target + "?" + strings.Join(q, "&") + ">;rel=\"" + rel + "\""
	}
	links := []string{link(0, "first"), link(offset-limit, "prev")}
	if total < 0 {
		if got == limit {
			links = append(links, link(offset+limit, "next"))
		}
		return strings.Join(links, ",")
	}
	if offset+limit < total {
		links = append(links, link(offset+limit, "next"))
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	return strings.Join(append(links, link(last, "last")), ",")
}

func (s *Server) handleGet(w http.ResponseWriter, r *http.Request, p *principal, t *table, sysID string) {
	rec, err := s.get(r.Context(), s.db, p, t, sysID)
	if errors.Is(err, errNotFound) {
		writeError(w, errNoRecord)
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.writeRecord(w, r, t, rec)
}

func (s *Server) writeRecord(w http.ResponseWriter, r *http.Request, t *table, rec record) {
	out, err := s.render(r.Context(), t, []record{rec}, renderOpts(r, s.requestBaseURL(r)))
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": out[0]})
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request, p *principal, t *table, sysID string) {
	changes, err := decodeBody(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, errBadJSON)
		return
	}
	rec, err := s.update(r.Context(), p, t, sysID, changes)
	var ve *valueError
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, errNoRecord)
		return
	case errors.Is(err, errForbidden):
		writeError(w, errUpdateDenied)
		return
	case errors.As(err, &ve):
		writeError(w, badParam("Invalid value", fmt.Sprintf("Field %s expects a value of type %s", ve.Field, ve.Type)))
		return
	case err != nil:
		s.internalError(w, r, err)
		return
	}
	s.writeRecord(w, r, t, rec)
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "servicenow: request failed", "path", r.URL.Path, "error", err)
	writeError(w, errInternal)
}

// urlOK checks an absolute http(s) URL.
func urlOK(raw string) (bool, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return false, errors.New("not a URL")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false, errors.New("must be an absolute http(s) URL")
	}
	return true, nil
}

// decodeBody reads a JSON object of field -> value. Values may be strings,
// numbers, booleans or null (""), as a real instance accepts.
func decodeBody(body io.Reader) (map[string]string, error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after JSON object")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		switch x := v.(type) {
		case nil:
			out[k] = ""
		case string:
			out[k] = x
		case json.Number:
			out[k] = x.String()
		case bool:
			out[k] = strconv.FormatBool(x)
		default:
			return nil, fmt.Errorf("field %q: value must be a string, number, boolean or null", k)
		}
	}
	return out, nil
}
