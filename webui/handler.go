package webui

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// Cache policies. The page and its configuration are revalidated on every
// load (they name the current asset version); versioned assets never
// change, so browsers keep them for a year.
const (
	cacheRevalidate = "no-cache"
	cacheImmutable  = "public, max-age=31536000, immutable"
)

// publicConfig is /config.json, read by static/app.js.
type publicConfig struct {
	Authority    string   `json:"authority"`
	ClientID     string   `json:"clientId"`
	Scopes       []string `json:"scopes"`
	RedirectPath string   `json:"redirectPath"`
	Title        string   `json:"title"`
}

type handler struct {
	cfg    Config
	csp    string
	index  *file
	config *file
	bad    *file // non-nil when the configuration is invalid
}

// Handler serves the chat UI for cfg. An invalid cfg (see Config.Validate,
// which the caller should run at start-up) gives a handler that answers
// every request with 500 and a page naming the problems, which are not
// secret: the configuration is public.
func Handler(cfg Config) http.Handler {
	if err := cfg.Validate(); err != nil {
		return &handler{csp: csp(""), bad: renderPage(errorPage, pageData{Title: "onbehalf", Message: "The chat UI is misconfigured: " + err.Error()})}
	}
	cfg = cfg.withDefaults()
	conf, _ := json.Marshal(publicConfig{
		Authority: cfg.Authority, ClientID: cfg.ClientID, Scopes: cfg.Scopes,
		RedirectPath: cfg.RedirectPath, Title: cfg.Title,
	})
	return &handler{
		cfg:    cfg,
		csp:    csp(cfg.authorityOrigin()),
		index:  renderPage(indexPage, pageData{Title: cfg.Title}),
		config: newFile("config.json", append(conf, '\n')),
	}
}

// csp is the page's Content-Security-Policy: everything from this origin
// only, fetches also to the IdP's origin, no inline script or style, no
// plugins, no <base>, no form posts, no framing, and Trusted Types so that
// HTML string sinks (innerHTML and friends) throw.
func csp(idpOrigin string) string {
	connect := "'self'"
	if idpOrigin != "" {
		connect += " " + idpOrigin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src " + connect +
		"; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'" +
		"; require-trusted-types-for 'script'; trusted-types 'none'"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.secure(w)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if h.bad != nil {
		h.bad.serve(w, r, http.StatusInternalServerError, "no-store")
		return
	}
	p := r.URL.Path
	switch {
	case p == "/" || p == h.cfg.RedirectPath:
		h.index.serve(w, r, 0, cacheRevalidate)
	case p == "/config.json":
		h.config.serve(w, r, 0, cacheRevalidate)
	case strings.HasPrefix(p, "/assets/"):
		h.asset(w, r, strings.TrimPrefix(p, "/assets/"))
	default:
		notFound.serve(w, r, http.StatusNotFound, cacheRevalidate)
	}
}

// asset serves /assets/<version>/<name>. The current version is cached
// for good; another version (a page loaded before a deploy) still gets
// today's file, but revalidated, so a rolling update never 404s.
func (h *handler) asset(w http.ResponseWriter, r *http.Request, rest string) {
	v, name, ok := strings.Cut(rest, "/")
	f := assets.files[name]
	if !ok || f == nil || !isVersion(v) {
		notFound.serve(w, r, http.StatusNotFound, cacheRevalidate)
		return
	}
	cache := cacheRevalidate
	if v == assets.version {
		cache = cacheImmutable
	}
	f.serve(w, r, 0, cache)
}

func isVersion(v string) bool {
	if v == "" || len(v) > 64 {
		return false
	}
	for _, c := range v {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// secure sets the headers every answer carries.
func (h *handler) secure(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
}

// serve answers with f. status 0 means 200 with conditional-request and
// Range support (http.ServeContent, driven by f's ETag); any other status
// writes the body as is.
func (f *file) serve(w http.ResponseWriter, r *http.Request, status int, cache string) {
	hd := w.Header()
	hd.Set("Content-Type", f.contentType)
	hd.Set("Cache-Control", cache)
	if status != 0 {
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(f.body)
		}
		return
	}
	hd.Set("ETag", f.etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// The page templates. They hold no inline script or style (the CSP
// forbids both); app.js takes over from the markup in index.html.
var (
	indexPage = template.Must(template.New("index.html").ParseFS(pageFS, "pages/index.html"))
	errorPage = template.Must(template.New("error.html").ParseFS(pageFS, "pages/error.html"))
	notFound  = renderPage(errorPage, pageData{Title: "Not found", Message: "There is no page here.", Link: true})
)

type pageData struct {
	Title, Message string
	Link           bool
	Version        string
}

func renderPage(t *template.Template, d pageData) *file {
	d.Version = assets.version
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		panic("webui: " + t.Name() + ": " + err.Error()) // the templates are embedded: a build error
	}
	return newFile(t.Name(), b.Bytes())
}
