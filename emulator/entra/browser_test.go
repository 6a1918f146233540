package entra_test

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
)

// browser is a user agent for the sign-in page: it keeps cookies and
// never follows redirects, so tests read where the server sends it.
type browser struct {
	t      *testing.T
	tn     *tenant
	client *http.Client
}

func (tn *tenant) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, tn: tn, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is an HTML (or redirect) answer.
type page struct {
	status   int
	header   http.Header
	body     string
	location *url.URL
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	p := page{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	if loc := resp.Header.Get("Location"); loc != "" {
		if p.location, err = url.Parse(loc); err != nil {
			b.t.Fatalf("Location %q: %v", loc, err)
		}
	}
	return p
}

// authorize GETs the authorization endpoint with q.
func (b *browser) authorize(q url.Values) page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.tn.srv.AuthorizeURL()+"?"+q.Encode(), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// submit posts the sign-in form of p with the given fields (request_id is
// taken from p).
func (b *browser) submit(p page, fields url.Values) page {
	b.t.Helper()
	action, id := formAction(b.t, p), requestID(b.t, p)
	form := url.Values{"request_id": {id}}
	for k, v := range fields {
		form[k] = v
	}
	req, err := http.NewRequest(http.MethodPost, action, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// signIn submits p as user with the demo password (and MFA approval if
// mfa).
func (b *browser) signIn(p page, upn string, mfa bool) page {
	b.t.Helper()
	f := url.Values{"username": {upn}, "password": {userPassword}, "action": {"sign_in"}}
	if mfa {
		f.Set("mfa_approve", "yes")
	}
	return b.submit(p, f)
}

var (
	requestIDRE = regexp.MustCompile(`name="request_id" value="([^"]+)"`)
	actionRE    = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

func requestID(t *testing.T, p page) string {
	t.Helper()
	m := requestIDRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no request_id in the page (status %d):\n%s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

func formAction(t *testing.T, p page) string {
	t.Helper()
	m := actionRE.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form in the page (status %d):\n%s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

// redirected asserts a redirect to the origin and path of want and
// returns its query (or fragment) parameters.
func redirected(t *testing.T, p page, want string) url.Values {
	t.Helper()
	if p.status != http.StatusFound && p.status != http.StatusSeeOther {
		t.Fatalf("status %d, want a redirect to %s; body:\n%s", p.status, want, p.body)
	}
	w, _ := url.Parse(want)
	if p.location.Scheme != w.Scheme || p.location.Host != w.Host || p.location.Path != w.Path {
		t.Fatalf("redirect to %s, want %s", p.location.Redacted(), want)
	}
	if p.location.Fragment != "" {
		v, err := url.ParseQuery(p.location.Fragment)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	return p.location.Query()
}

// pkce is a code_verifier and its S256 challenge.
type pkce struct{ verifier, challenge string }

func newPKCE(t *testing.T) pkce {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// spaAuthorize is the chat UI's authorization request for Token A.
func spaAuthorize(p pkce, extra ...string) url.Values {
	q := url.Values{
		"client_id":             {"a9e17000-0000-4000-8000-000000000002"},
		"redirect_uri":          {spaRedirect},
		"response_type":         {"code"},
		"scope":                 {agentAPI + "/access_as_user openid profile offline_access"},
		"state":                 {"state-123"},
		"nonce":                 {"nonce-456"},
		"code_challenge":        {p.challenge},
		"code_challenge_method": {"S256"},
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

// postFrom sends a token request with an Origin header ("" for none).
func (tn *tenant) postFrom(t *testing.T, origin string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tn.srv.TokenURL(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return do(t, req)
}

// codeForm redeems code from the SPA (no secret).
func codeForm(code, redirect, verifier string) url.Values {
	f := url.Values{
		"grant_type":   {"authorization_code"},
		"client_id":    {"a9e17000-0000-4000-8000-000000000002"},
		"code":         {code},
		"redirect_uri": {redirect},
	}
	if verifier != "" {
		f.Set("code_verifier", verifier)
	}
	return f
}

// spaSignIn runs the chat UI's sign-in for upn and returns the code.
func (tn *tenant) spaSignIn(t *testing.T, upn string, p pkce, extra ...string) string {
	t.Helper()
	b := tn.browser(t)
	pg := b.authorize(spaAuthorize(p, extra...))
	if pg.status != http.StatusOK {
		t.Fatalf("authorize = %d, want the sign-in page:\n%s", pg.status, pg.body)
	}
	q := redirected(t, b.signIn(pg, upn, false), spaRedirect)
	if q.Get("code") == "" {
		t.Fatalf("no code in the redirect: %v", q)
	}
	return q.Get("code")
}

// spaTokens signs upn in through the SPA and redeems the code.
func (tn *tenant) spaTokens(t *testing.T, upn string) response {
	t.Helper()
	p := newPKCE(t)
	code := tn.spaSignIn(t, upn, p)
	r := tn.postFrom(t, runtimeURL, codeForm(code, spaRedirect, p.verifier))
	if r.status != http.StatusOK {
		t.Fatalf("code redemption = %d %s", r.status, r)
	}
	return r
}
