package webui_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/webui"
)

const (
	testAuthority = "http://127.0.0.1:8082/c0ffee00-0000-4000-8000-000000000001/v2.0"
	testClientID  = "a9e17000-0000-4000-8000-000000000002"
)

func testConfig() webui.Config {
	return webui.Config{
		Authority: testAuthority,
		ClientID:  testClientID,
		Scopes:    []string{"api://" + testClientID + "/access_as_user"},
		Title:     "ServiceNow assistant",
	}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, h http.Handler, method, target string, hdr ...string) answer {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Result().Body)
	return answer{status: rec.Code, header: rec.Result().Header, body: string(b)}
}

var assetRE = regexp.MustCompile(`(?:src|href)="(/assets/[0-9a-f]+/[a-z]+\.(?:js|css|svg))"`)

// assetPaths are the asset URLs the page references.
func assetPaths(t *testing.T, index string) []string {
	t.Helper()
	var out []string
	for _, m := range assetRE.FindAllStringSubmatch(index, -1) {
		out = append(out, m[1])
	}
	if len(out) < 3 {
		t.Fatalf("index.html references %d assets, want app.js, style.css and icon.svg:\n%s", len(out), index)
	}
	return out
}

func TestEveryAnswerCarriesTheSecurityHeaders(t *testing.T) {
	h := webui.Handler(testConfig())
	index := get(t, h, "GET", "/")
	paths := append([]string{"/", "/config.json", "/no-such-page", "/assets/0/nope.js"}, assetPaths(t, index.body)...)
	for _, p := range paths {
		a := get(t, h, "GET", p)
		for k, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
		} {
			if got := a.header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", p, k, got, want)
			}
		}
		if a.header.Get("Content-Security-Policy") == "" {
			t.Errorf("GET %s: no Content-Security-Policy", p)
		}
	}
}

func TestCSPAllowsOnlyThisOriginAndTheIdPAndNoInlineScript(t *testing.T) {
	a := get(t, webui.Handler(testConfig()), "GET", "/")
	directives := map[string]string{}
	for _, d := range strings.Split(a.header.Get("Content-Security-Policy"), ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		directives[name] = value
	}
	want := map[string]string{
		"default-src":               "'self'",
		"script-src":                "'self'",
		"style-src":                 "'self'",
		"connect-src":               "'self' http://127.0.0.1:8082",
		"object-src":                "'none'",
		"base-uri":                  "'none'",
		"form-action":               "'none'",
		"frame-ancestors":           "'none'",
		"require-trusted-types-for": "'script'",
	}
	for k, v := range want {
		if directives[k] != v {
			t.Errorf("CSP %s = %q, want %q (whole policy: %s)", k, directives[k], v, a.header.Get("Content-Security-Policy"))
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "data:", "*"} {
		if strings.Contains(a.header.Get("Content-Security-Policy"), bad) {
			t.Errorf("CSP allows %s: %s", bad, a.header.Get("Content-Security-Policy"))
		}
	}
	// The page itself obeys it: no inline script, style or handler.
	for _, re := range []string{`<script(?:\s+type="module")?>`, `<style`, `\son[a-z]+=`, `style="`} {
		if regexp.MustCompile(re).MatchString(a.body) {
			t.Errorf("index.html has inline code matching %s", re)
		}
	}
}

func TestConfigJSONIsThePublicConfigurationWithTheSignInScopes(t *testing.T) {
	a := get(t, webui.Handler(testConfig()), "GET", "/config.json")
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /config.json: %d %s", a.status, a.header.Get("Content-Type"))
	}
	var got struct {
		Authority, ClientID, RedirectPath, Title string
		Scopes                                   []string
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("config.json: %v\n%s", err, a.body)
	}
	wantScopes := []string{"api://" + testClientID + "/access_as_user", "openid", "profile", "offline_access"}
	if got.Authority != testAuthority || got.ClientID != testClientID || got.RedirectPath != "/" || got.Title != "ServiceNow assistant" || !slices.Equal(got.Scopes, wantScopes) {
		t.Errorf("config.json = %+v, want authority %s, client %s, redirect /, scopes %v", got, testAuthority, testClientID, wantScopes)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("config.json Cache-Control = %q, want no-cache", cc)
	}
}

func TestScopesAreNotDuplicatedWhenAlreadyGiven(t *testing.T) {
	cfg := testConfig()
	cfg.Scopes = []string{"openid", "api://x/access_as_user", "offline_access"}
	a := get(t, webui.Handler(cfg), "GET", "/config.json")
	var got struct{ Scopes []string }
	_ = json.Unmarshal([]byte(a.body), &got)
	if want := []string{"openid", "api://x/access_as_user", "offline_access", "profile"}; !slices.Equal(got.Scopes, want) {
		t.Errorf("scopes = %v, want %v", got.Scopes, want)
	}
}

func TestVersionedAssetsAreImmutableWithETagsAndRevalidate304(t *testing.T) {
	h := webui.Handler(testConfig())
	for _, p := range assetPaths(t, get(t, h, "GET", "/").body) {
		a := get(t, h, "GET", p)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d", p, a.status)
		}
		if cc := a.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q, want a year, immutable", p, cc)
		}
		etag := a.header.Get("ETag")
		if !regexp.MustCompile(`^"[0-9a-f]{24}"$`).MatchString(etag) {
			t.Errorf("GET %s: ETag %q, want a quoted content hash", p, etag)
		}
		wantType := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}[p[strings.LastIndex(p, "."):]]
		if ct := a.header.Get("Content-Type"); ct != wantType {
			t.Errorf("GET %s: Content-Type %q, want %q", p, ct, wantType)
		}
		if again := get(t, h, "GET", p, "If-None-Match", etag); again.status != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match %s: %d, want 304", p, etag, again.status)
		}
	}
}

func TestAnAssetOfAnotherVersionIsServedButRevalidated(t *testing.T) {
	h := webui.Handler(testConfig())
	a := get(t, h, "GET", "/assets/0123abcd/app.js")
	if a.status != http.StatusOK || a.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("old-version asset: %d, Cache-Control %q; want 200 no-cache (a page loaded before a deploy keeps working)", a.status, a.header.Get("Cache-Control"))
	}
	for _, p := range []string{"/assets/app.js", "/assets/0123abcd/missing.js", "/assets/NOTHEX/app.js", "/assets/0123abcd/../app.js"} {
		if a := get(t, h, "GET", p); a.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, a.status)
		}
	}
}

func TestThePageIsRevalidatedAndServedAtTheRedirectPath(t *testing.T) {
	cfg := testConfig()
	cfg.RedirectPath = "/signed-in"
	h := webui.Handler(cfg)
	for _, p := range []string{"/", "/signed-in", "/?code=abc&state=xyz"} {
		a := get(t, h, "GET", p)
		if a.status != http.StatusOK || !strings.Contains(a.body, `<title>ServiceNow assistant</title>`) {
			t.Errorf("GET %s: %d, want the page", p, a.status)
		}
		if a.header.Get("Cache-Control") != "no-cache" || a.header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Cache-Control %q, Content-Type %q", p, a.header.Get("Cache-Control"), a.header.Get("Content-Type"))
		}
	}
}

// The UI has one route; any other path is a real 404 (not the page), so
// typos and scanners do not get a 200 and a stale link says so.
func TestUnknownPathsAre404WithALinkHome(t *testing.T) {
	h := webui.Handler(testConfig())
	for _, p := range []string{"/favicon.ico", "/index.html", "/chat/123", "/.env"} {
		a := get(t, h, "GET", p)
		if a.status != http.StatusNotFound || !strings.Contains(a.body, `href="/"`) {
			t.Errorf("GET %s: %d, want 404 with a link to the chat", p, a.status)
		}
	}
}

func TestOnlyGetAndHeadAreAllowed(t *testing.T) {
	h := webui.Handler(testConfig())
	for _, m := range []string{"POST", "PUT", "DELETE"} {
		a := get(t, h, m, "/")
		if a.status != http.StatusMethodNotAllowed || a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /: %d Allow %q, want 405 Allow: GET, HEAD", m, a.status, a.header.Get("Allow"))
		}
	}
	if a := get(t, h, "HEAD", "/config.json"); a.status != http.StatusOK || a.body != "" {
		t.Errorf("HEAD /config.json: %d with %d bytes, want 200 and no body", a.status, len(a.body))
	}
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	err := webui.Config{Authority: "ftp://idp", Scopes: []string{"a b"}, RedirectPath: "/assets/x"}.Validate()
	if !errors.Is(err, webui.ErrInvalidConfig) {
		t.Fatalf("Validate = %v, want ErrInvalidConfig", err)
	}
	for _, want := range []string{"Authority", "ClientID", `Scopes: "a b"`, "RedirectPath"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate error lacks %s: %v", want, err)
		}
	}
	if err := testConfig().Validate(); err != nil {
		t.Errorf("a good config: %v", err)
	}
	for _, p := range []string{"relative", "/a/../b", "/x?y", "/config.json"} {
		cfg := testConfig()
		cfg.RedirectPath = p
		if err := cfg.Validate(); !errors.Is(err, webui.ErrInvalidConfig) || !strings.Contains(err.Error(), "RedirectPath") {
			t.Errorf("RedirectPath %q: %v, want a RedirectPath problem", p, err)
		}
	}
}

func TestAMisconfiguredHandlerSays500WithTheProblem(t *testing.T) {
	a := get(t, webui.Handler(webui.Config{}), "GET", "/")
	if a.status != http.StatusInternalServerError || !strings.Contains(a.body, "Authority is required") {
		t.Errorf("misconfigured: %d %s", a.status, a.body)
	}
}
