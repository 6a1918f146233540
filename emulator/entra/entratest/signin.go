package entratest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

// WithRuntimeURL registers runtimeURL + "/" as the agent app's SPA redirect
// URI (entra.DevOptions.RuntimeURL), for tests of a UI served there:
//
//	tn := entratest.Start(t, entratest.WithRuntimeURL(ui.URL))
func WithRuntimeURL(runtimeURL string) func(*entra.Config) {
	return func(c *entra.Config) {
		for i := range c.Apps {
			if c.Apps[i].ClientID == entra.DevAgentClientID {
				c.Apps[i].SPARedirectURIs = append(c.Apps[i].SPARedirectURIs, strings.TrimRight(runtimeURL, "/")+"/")
			}
		}
	}
}

// NewPKCE returns a fresh RFC 7636 code_verifier and its S256
// code_challenge.
func NewPKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

var (
	requestIDRE = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	actionRE    = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	alertRE     = regexp.MustCompile(`role="alert"[^>]*>([^<]*)<`)
)

// SignIn plays the user's browser on the tenant's sign-in page: it opens
// authorizeURL (an authorization request as the client under test built
// it), signs in as upn with the dev password (approving the emulated MFA
// when mfa is true) and returns where the tenant sends the browser back:
// the client's redirect URI with code and state, or with error and
// error_description. The test fails if the tenant shows an error page.
func (t *Tenant) SignIn(tb testing.TB, authorizeURL, upn string, mfa bool) *url.URL {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	status, loc, body := fetch(tb, c, http.MethodGet, authorizeURL, nil)
	if loc != nil {
		return loc // single sign-on or an error redirect: no page
	}
	id, action := requestIDRE.FindStringSubmatch(body), actionRE.FindStringSubmatch(body)
	if status != http.StatusOK || id == nil || action == nil {
		tb.Fatalf("entratest: authorize answered %d without a sign-in form: %s", status, pageAlert(body))
	}
	form := url.Values{
		"request_id": {html.UnescapeString(id[1])}, "username": {upn},
		"password": {t.UserPassword}, "action": {"sign_in"},
	}
	if mfa {
		form.Set("mfa_approve", "yes")
	}
	status, loc, body = fetch(tb, c, http.MethodPost, html.UnescapeString(action[1]), form)
	if loc == nil {
		tb.Fatalf("entratest: sign-in as %s answered %d: %s", upn, status, pageAlert(body))
	}
	return loc
}

func fetch(tb testing.TB, c *http.Client, method, u string, form url.Values) (int, *url.URL, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatalf("entratest: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatalf("entratest: %s sign-in page: %v", method, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var loc *url.URL
	if l := resp.Header.Get("Location"); l != "" {
		if loc, err = url.Parse(l); err != nil {
			tb.Fatalf("entratest: Location: %v", err)
		}
	}
	return resp.StatusCode, loc, string(raw)
}

func pageAlert(body string) string {
	if m := alertRE.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return "(no message)"
}
