package servicenow

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes bounds POST/PUT/PATCH bodies.
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

// ServeHTTP authenticates the caller, applies its rate limit, serves the
// request and records it in syslog_transaction (also when authentication
// fails: user "guest").
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w}
	p, err := s.authenticate(r)
	switch {
	case err != nil:
		if !errors.Is(err, errNoCredentials) {
			s.log.InfoContext(r.Context(), "servicenow: authentication failed",
				"reason", err.Error(), "credential_sha256", shortHash(r.Header.Get("Authorization")))
		}
		s.challenge(sw, r)
	default:
		d := s.limits.take(p)
		d.setHeaders(sw.Header(), s.now())
		if d.exceeded {
			writeError(sw, rateLimitError(d.limit))
			break
		}
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
	at := formatTime(start)
	s.txlog.add(map[string]string{
		"url":            r.URL.RequestURI(),
		"type":           "REST",
		"http_method":    r.Method,
		"http_status":    strconv.Itoa(status),
		"response_time":  strconv.FormatInt(s.now().Sub(start).Milliseconds(), 10),
		"remote_ip":      host,
		"auth_method":    method,
		"sys_created_on": at,
		"sys_created_by": user,
		"sys_updated_on": at,
		"sys_updated_by": user,
	})
}

// tableRoute is a parsed /api/now[/v1|/v2]/table/{table}[/{sys_id}] path.
type tableRoute struct {
	version string // "", "v1" or "v2"
	table   string
	sysID   string
}

// collectionPath is the route's path up to and including the table.
func (rt tableRoute) collectionPath() string {
	p := "/api/now/"
	if rt.version != "" {
		p += rt.version + "/"
	}
	return p + "table/" + rt.table
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
	if t.Name == "syslog_transaction" {
		s.txlog.flush(r.Context())
	}
	switch {
	case rt.sysID == "" && r.Method == http.MethodGet:
		s.handleList(w, r, p, rt, t)
	case rt.sysID == "" && r.Method == http.MethodPost:
		s.handleCreate(w, r, p, rt, t)
	case rt.sysID != "" && r.Method == http.MethodGet:
		s.handleGet(w, r, p, t, rt.sysID)
	case rt.sysID != "" && (r.Method == http.MethodPatch || r.Method == http.MethodPut):
		s.handleUpdate(w, r, p, t, rt.sysID)
	case rt.sysID != "" && r.Method == http.MethodDelete:
		s.handleDelete(w, r, p, t, rt.sysID)
	default:
		if rt.sysID == "" {
			w.Header().Set("Allow", "GET, POST")
		} else {
			w.Header().Set("Allow", "GET, PUT, PATCH, DELETE")
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

// writeEngineError maps an engine error to its Table API envelope.
func (s *Server) writeEngineError(w http.ResponseWriter, r *http.Request, err error) {
	var ve *valueError
	switch {
	case errors.Is(err, errNotFound):
		writeError(w, errNoRecord)
	case errors.Is(err, errForbidden):
		writeError(w, errUpdateDenied)
	case errors.Is(err, errCreateDenied):
		writeError(w, errInsertDenied)
	case errors.Is(err, errDeleteDenied):
		writeError(w, errDeleteDeniedEnv)
	case errors.Is(err, errQueryDenied):
		writeError(w, errQueryACL)
	case errors.As(err, &ve):
		writeError(w, badParam("Invalid value", "Field "+ve.Field+" expects a value of type "+ve.Type.String()))
	default:
		s.internalError(w, r, err)
	}
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.ErrorContext(r.Context(), "servicenow: request failed", "path", r.URL.Path, "error", err)
	writeError(w, errInternal)
}
