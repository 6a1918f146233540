package entra_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func TestAuthorizeShowsAccessibleSignInPageAndKeepsTheRequestServerSide(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	pg := tn.browser(t).authorize(spaAuthorize(p, "login_hint", "bob.jones@company.com"))
	if pg.status != http.StatusOK {
		t.Fatalf("authorize = %d:\n%s", pg.status, pg.body)
	}
	h := pg.header
	for k, want := range map[string]string{
		"Content-Type":    "text/html; charset=utf-8",
		"X-Frame-Options": "DENY",
		"Cache-Control":   "no-store, no-cache",
	} {
		if h.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, h.Get(k), want)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "form-action 'self' "+runtimeURL) {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if c := h.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") {
		t.Errorf("Set-Cookie = %q, want an HttpOnly SameSite=Lax browser cookie", c)
	}
	// Every user is a labelled radio button; the hinted one is checked.
	radios := regexp.MustCompile(`<input type="radio" name="username" id="(user\d)" value="([^"]+)"( checked)? required>\s*<label for="(user\d)">`).FindAllStringSubmatch(pg.body, -1)
	if len(radios) != 4 {
		t.Fatalf("found %d labelled user radios, want 4:\n%s", len(radios), pg.body)
	}
	for _, m := range radios {
		if m[1] != m[4] {
			t.Errorf("radio %s is labelled for %s", m[1], m[4])
		}
		if (m[3] != "") != (m[2] == "bob.jones@company.com") {
			t.Errorf("radio %s checked=%t; login_hint names Bob", m[2], m[3] != "")
		}
	}
	for _, want := range []string{`<label for="password">Password</label>`, `<html lang="en">`, `<legend>Account</legend>`,
		`<label for="mfa_approve">`, `value="cancel" formnovalidate`, `autocomplete="current-password"`, "<script"} {
		if has := strings.Contains(pg.body, want); has == (want == "<script") {
			t.Errorf("page contains %q = %t", want, has)
		}
	}
	// The authorization request itself stays on the server.
	for _, secret := range []string{p.challenge, "state-123", "nonce-456"} {
		if strings.Contains(pg.body, secret) {
			t.Errorf("page contains %q; the request belongs server-side", secret)
		}
	}
	if id := requestID(t, pg); len(id) < 32 {
		t.Errorf("request id %q is short", id)
	}
	if got := formAction(t, pg); got != tn.srv.AuthorizeURL() {
		t.Errorf("form action = %q, want %q", got, tn.srv.AuthorizeURL())
	}
}

func TestSignInRedirectsWithCodeAndState(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	pg := b.authorize(spaAuthorize(newPKCE(t)))
	res := b.signIn(pg, janeUPN, false)
	if res.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303", res.status)
	}
	q := redirected(t, res, spaRedirect)
	if q.Get("state") != "state-123" || len(q.Get("code")) < 40 || len(q) != 2 {
		t.Errorf("redirect parameters = %v, want code and state", q)
	}
	if !strings.Contains(res.header.Get("Set-Cookie"), "entra_emu_session=") {
		t.Errorf("no session cookie after sign-in")
	}

	// response_mode=fragment puts them in the fragment.
	b2 := tn.browser(t)
	res = b2.signIn(b2.authorize(spaAuthorize(newPKCE(t), "response_mode", "fragment")), janeUPN, false)
	if res.location.RawQuery != "" || res.location.Fragment == "" {
		t.Fatalf("fragment mode redirect = %s", res.location.Redacted())
	}
	if q := redirected(t, res, spaRedirect); q.Get("state") != "state-123" || q.Get("code") == "" {
		t.Errorf("fragment parameters = %v", q)
	}
}

func TestAuthorizeErrorsBeforeTheRedirectURIIsKnownAreShownNotRedirected(t *testing.T) {
	tn := start(t)
	ok := func() url.Values { return spaAuthorize(newPKCE(t)) }
	with := func(q url.Values, k, v string) url.Values {
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q
	}
	tests := []struct {
		name   string
		path   string
		query  url.Values
		status int
		code   string
	}{
		{"MissingClientID", "", with(ok(), "client_id", ""), 400, "AADSTS900144: The request body must contain the following parameter: &#39;client_id&#39;."},
		{"UnknownClient", "", with(ok(), "client_id", "99999999-0000-4000-8000-000000000000"), 400, "AADSTS700016: Application with identifier &#39;99999999-0000-4000-8000-000000000000&#39; was not found"},
		{"MissingRedirectURI", "", with(ok(), "redirect_uri", ""), 400, "AADSTS900144"},
		{"UnregisteredRedirectURI", "", with(ok(), "redirect_uri", "https://evil.example/cb"), 400, "AADSTS50011: The redirect URI &#39;https://evil.example/cb&#39; specified in the request does not match the redirect URIs configured for the application &#39;" + entra.DevAgentClientID + "&#39;."},
		{"AnotherAppsRedirectURI", "", with(ok(), "redirect_uri", cliRedirect), 400, "AADSTS50011"},
		{"UnknownTenant", "/deadbeef-0000-4000-8000-000000000000/oauth2/v2.0/authorize", ok(), 400, "AADSTS90002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := tn.browser(t)
			u := tn.srv.AuthorizeURL()
			if tc.path != "" {
				u = tn.url + tc.path
			}
			req, _ := http.NewRequest(http.MethodGet, u+"?"+tc.query.Encode(), nil)
			pg := b.do(req)
			if pg.status != tc.status || pg.location != nil {
				t.Fatalf("status %d location %v, want %d and no redirect", pg.status, pg.location, tc.status)
			}
			if !strings.Contains(pg.body, tc.code) || !strings.Contains(pg.body, `role="alert"`) {
				t.Errorf("page does not show %q:\n%s", tc.code, pg.body)
			}
		})
	}
}

func TestAuthorizeErrorsAreRedirectedWithEntraDescriptionAndState(t *testing.T) {
	tn := start(t)
	p := newPKCE(t)
	tests := []struct {
		name  string
		query url.Values
		err   string
		code  string
	}{
		{"TokenResponseType", spaAuthorize(p, "response_type", "token"), "unsupported_response_type", "700054"},
		{"MissingResponseType", spaAuthorize(p, "response_type", ""), "invalid_request", "900144"},
		{"MissingScope", spaAuthorize(p, "scope", ""), "invalid_request", "900144"},
		{"UnknownResource", spaAuthorize(p, "scope", "api://nope/read"), "invalid_resource", "500011"},
		{"NotConsented", spaAuthorize(p, "scope", hrAPI+"/cases.read"), "consent_required", "65001"},
		{"SPAWithoutPKCE", spaAuthorize(p, "code_challenge", "", "code_challenge_method", ""), "invalid_request", "9002325"},
		{"PlainPKCE", spaAuthorize(p, "code_challenge_method", "plain"), "invalid_request", "50149"},
		{"ShortChallenge", spaAuthorize(p, "code_challenge", "abc"), "invalid_request", "501491"},
		{"BadPrompt", spaAuthorize(p, "prompt", "always"), "invalid_request", "90100"},
		{"ClaimsNotJSON", spaAuthorize(p, "claims", "{nope"), "invalid_request", "90100"},
		{"FormPostMode", spaAuthorize(p, "response_mode", "form_post"), "invalid_request", "90100"},
		{"PromptNoneWithoutSession", spaAuthorize(p, "prompt", "none"), "login_required", "50058"},
	}
	descRE := regexp.MustCompile(`^AADSTS(\d+): .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$`)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.query {
				if v[0] == "" {
					tc.query.Del(k)
				}
			}
			pg := tn.browser(t).authorize(tc.query)
			if pg.status != http.StatusFound {
				t.Fatalf("status %d, want 302:\n%s", pg.status, pg.body)
			}
			q := redirected(t, pg, spaRedirect)
			m := descRE.FindStringSubmatch(q.Get("error_description"))
			if q.Get("error") != tc.err || m == nil || m[1] != tc.code {
				t.Fatalf("error %q description %q, want %s AADSTS%s", q.Get("error"), q.Get("error_description"), tc.err, tc.code)
			}
			if q.Get("state") != "state-123" || q.Get("error_uri") != tn.url+"/error?code="+tc.code || q.Get("code") != "" {
				t.Errorf("state %q error_uri %q code %q", q.Get("state"), q.Get("error_uri"), q.Get("code"))
			}
		})
	}
}

func TestPublicClientMustUsePKCE(t *testing.T) {
	tn := start(t)
	q := url.Values{"client_id": {cliClientID}, "redirect_uri": {cliRedirect}, "response_type": {"code"}, "scope": {agentAPI + "/access_as_user"}}
	got := redirected(t, tn.browser(t).authorize(q), cliRedirect)
	if got.Get("error") != "invalid_request" || !strings.HasPrefix(got.Get("error_description"), "AADSTS9002325:") {
		t.Errorf("redirect = %v, want AADSTS9002325", got)
	}
}

func TestSignInWrongPasswordShowsAlertThenLocksAfterFiveAttempts(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	pg := b.authorize(spaAuthorize(newPKCE(t)))
	bad := url.Values{"username": {janeUPN}, "password": {"wrong-password-p9"}, "action": {"sign_in"}}
	for i := 1; i < 5; i++ {
		pg = b.submit(pg, bad)
		if pg.status != http.StatusOK || !strings.Contains(pg.body, `<p role="alert" id="error">Your account or password is incorrect.</p>`) {
			t.Fatalf("attempt %d: %d, want the page with an alert:\n%s", i, pg.status, pg.body)
		}
		if !strings.Contains(pg.body, `value="`+janeUPN+`" checked`) || strings.Contains(pg.body, "wrong-password-p9") {
			t.Fatalf("attempt %d: the page should keep the user selected and never echo the password", i)
		}
	}
	locked := b.submit(pg, bad)
	if locked.status != http.StatusBadRequest || !strings.Contains(locked.body, "AADSTS50053") {
		t.Fatalf("fifth failure = %d, want 400 AADSTS50053:\n%s", locked.status, locked.body)
	}
	// The request is gone: even the right password cannot use it now.
	if again := b.signIn(pg, janeUPN, false); again.status != http.StatusBadRequest || !strings.Contains(again.body, "AADSTS50089") {
		t.Fatalf("after lock = %d:\n%s", again.status, again.body)
	}
	if strings.Contains(tn.logs.String(), "wrong-password-p9") {
		t.Errorf("the log contains the typed password")
	}
}

func TestCancelRedirectsAccessDenied(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	res := b.submit(b.authorize(spaAuthorize(newPKCE(t))), url.Values{"action": {"cancel"}})
	q := redirected(t, res, spaRedirect)
	if q.Get("error") != "access_denied" || !strings.HasPrefix(q.Get("error_description"), "AADSTS65004: User declined") || q.Get("state") != "state-123" {
		t.Errorf("cancel redirect = %v", q)
	}
}

func TestSignInFormIsBoundToTheBrowserAndUsedOnce(t *testing.T) {
	tn := start(t)
	victim, attacker := tn.browser(t), tn.browser(t)
	pg := attacker.authorize(spaAuthorize(newPKCE(t)))

	// Login CSRF: the attacker's page request posted from the victim's
	// browser (which lacks the attacker's browser cookie) is refused.
	if res := victim.signIn(pg, janeUPN, false); res.status != http.StatusForbidden || res.location != nil || !strings.Contains(res.body, "AADSTS90100") {
		t.Fatalf("post from another browser = %d %v:\n%s", res.status, res.location, res.body)
	}
	// A cross-site form post carries a foreign Origin.
	form := url.Values{"request_id": {requestID(t, pg)}, "username": {janeUPN}, "password": {userPassword}, "action": {"sign_in"}}
	req, _ := http.NewRequest(http.MethodPost, formAction(t, pg), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	if res := attacker.do(req); res.status != http.StatusForbidden {
		t.Fatalf("foreign Origin = %d, want 403", res.status)
	}
	// The right browser signs in once; replaying the form fails.
	redirected(t, attacker.signIn(pg, janeUPN, false), spaRedirect)
	if res := attacker.signIn(pg, janeUPN, false); res.status != http.StatusBadRequest || !strings.Contains(res.body, "AADSTS50089") {
		t.Fatalf("replayed form = %d:\n%s", res.status, res.body)
	}
	if res := attacker.submit(pg, url.Values{"request_id": {"made-up"}}); res.status != http.StatusBadRequest {
		t.Fatalf("made-up request id = %d", res.status)
	}
}

func TestSessionGivesSingleSignOnAndPromptControlsIt(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	redirected(t, b.signIn(b.authorize(spaAuthorize(newPKCE(t))), janeUPN, false), spaRedirect)

	for _, prompt := range []string{"none", ""} {
		q := redirected(t, b.authorize(spaAuthorize(newPKCE(t), "prompt", prompt)), spaRedirect)
		if q.Get("code") == "" || q.Get("error") != "" {
			t.Errorf("prompt=%q with a session: %v, want a code", prompt, q)
		}
	}
	if pg := b.authorize(spaAuthorize(newPKCE(t), "prompt", "login")); pg.status != http.StatusOK || requestID(t, pg) == "" {
		t.Errorf("prompt=login = %d, want the page", pg.status)
	}
	// A login_hint for someone else is not answered from Jane's session.
	q := redirected(t, b.authorize(spaAuthorize(newPKCE(t), "prompt", "none", "login_hint", "bob.jones@company.com")), spaRedirect)
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none for another user = %v, want login_required", q)
	}
	// Conditional Access on a downstream scope needs MFA the session lacks.
	if err := tn.srv.SetConditionalAccess(janeUPN, true); err != nil {
		t.Fatal(err)
	}
	q = redirected(t, b.authorize(spaAuthorize(newPKCE(t), "prompt", "none", "scope", connectorScope)), spaRedirect)
	if q.Get("error") != "interaction_required" || !strings.HasPrefix(q.Get("error_description"), "AADSTS50076:") || !strings.Contains(q.Get("claims"), "capolids") {
		t.Errorf("prompt=none under Conditional Access = %v", q)
	}
}

func TestLogoutEndsTheSessionAndRedirectsOnlyToRegisteredURIs(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	redirected(t, b.signIn(b.authorize(spaAuthorize(newPKCE(t))), janeUPN, false), spaRedirect)

	req, _ := http.NewRequest(http.MethodGet, tn.srv.LogoutURL()+"?"+url.Values{"post_logout_redirect_uri": {spaRedirect}, "state": {"bye"}}.Encode(), nil)
	out := b.do(req)
	if q := redirected(t, out, spaRedirect); q.Get("state") != "bye" {
		t.Errorf("logout redirect = %v, want state bye", q)
	}
	if c := out.header.Get("Set-Cookie"); !strings.Contains(c, "entra_emu_session=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("Set-Cookie = %q, want the session cookie cleared", c)
	}
	if q := redirected(t, b.authorize(spaAuthorize(newPKCE(t), "prompt", "none")), spaRedirect); q.Get("error") != "login_required" {
		t.Errorf("prompt=none after logout = %v, want login_required", q)
	}

	for _, target := range []string{"https://evil.example/", ""} {
		req, _ = http.NewRequest(http.MethodGet, tn.srv.LogoutURL()+"?"+url.Values{"post_logout_redirect_uri": {target}}.Encode(), nil)
		if pg := b.do(req); pg.status != http.StatusOK || pg.location != nil || !strings.Contains(pg.body, "You signed out") {
			t.Errorf("logout to %q = %d %v, want the signed-out page", target, pg.status, pg.location)
		}
	}
	// client_id narrows the registered URIs to that app's.
	req, _ = http.NewRequest(http.MethodGet, tn.srv.LogoutURL()+"?"+url.Values{"post_logout_redirect_uri": {spaRedirect}, "client_id": {cliClientID}}.Encode(), nil)
	if pg := b.do(req); pg.location != nil {
		t.Errorf("logout to another app's URI redirected to %v", pg.location)
	}
}

func TestRevokeRefreshTokensEndsBrowserSessions(t *testing.T) {
	tn := start(t)
	b := tn.browser(t)
	redirected(t, b.signIn(b.authorize(spaAuthorize(newPKCE(t))), janeUPN, false), spaRedirect)
	if err := tn.srv.RevokeRefreshTokens(janeUPN); err != nil {
		t.Fatal(err)
	}
	if q := redirected(t, b.authorize(spaAuthorize(newPKCE(t), "prompt", "none")), spaRedirect); q.Get("error") != "login_required" {
		t.Errorf("prompt=none after revocation = %v, want login_required", q)
	}
}

func TestBrowserEndpointsRefuseOtherMethods(t *testing.T) {
	tn := start(t)
	for _, c := range []struct{ method, url, allow string }{
		{http.MethodPut, tn.srv.AuthorizeURL(), "GET, POST"},
		{http.MethodPost, tn.srv.LogoutURL(), "GET"},
	} {
		req, _ := http.NewRequest(c.method, c.url, nil)
		pg := tn.browser(t).do(req)
		if pg.status != http.StatusMethodNotAllowed || pg.header.Get("Allow") != c.allow || !strings.Contains(pg.body, "AADSTS900561") {
			t.Errorf("%s %s = %d Allow %q", c.method, c.url, pg.status, pg.header.Get("Allow"))
		}
	}
}
