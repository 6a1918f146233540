package webui_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/onbehalf/onbehalf/emulator/entra"
)

var (
	janesFive  = []string{"INC0012345", "INC0012389", "INC0012401", "INC0012455", "INC0012478"}
	hiddenFrom = []string{"INC0012350", "INC0012399"} // HR and security: ServiceNow's ACLs hide them from Jane
	bobsThree  = []string{"INC0012360", "INC0012420", "INC0012490"}
)

func TestBrowserJaneSignsInSeesHerFiveIncidentsAndTheTraceThenSignsOut(t *testing.T) {
	s := startStack(t)
	b := newBrowser(t, "jane-five-incidents", 1280, 900, false)
	b.open(s)
	if !strings.Contains(b.pageText(), "reloading or closing the tab signs you out") &&
		!strings.Contains(b.pageText(), "Reloading or closing the tab signs you out") {
		t.Errorf("the signed-out page does not explain that a reload needs a new sign-in:\n%s", b.pageText())
	}

	if p := b.accessibilityProblems(); len(p) > 0 {
		t.Errorf("accessibility of the sign-in page:\n%s", strings.Join(p, "\n"))
	}
	b.screenshot("-signed-out")

	b.signIn(s, "jane.smith@company.com", false)
	if loc := run(b, "read the address", chromedp.Location()); loc != s.url+"/" {
		t.Errorf("after sign-in the address is %s, want %s/ (code and state removed)", loc, s.url)
	}
	if name := run(b, "read the user", chromedp.Text(chromedp.ID("user-name"))); name != "Jane Smith (jane.smith@company.com)" {
		t.Errorf("signed-in user shown as %q", name)
	}
	if !b.storageIsEmpty() {
		t.Error("after sign-in, localStorage or sessionStorage still holds something; tokens and the PKCE round trip must not stay there")
	}

	a := b.ask("Show me 5 incidents assigned to me")
	if a.State != "done" || !slices.Equal(a.Numbers, janesFive) {
		t.Errorf("Jane's answer: state %q, table numbers %v, want done with %v\ntext:\n%s\nerror: %s", a.State, a.Numbers, janesFive, a.Text, a.Error)
	}
	page := b.pageText()
	for _, n := range hiddenFrom {
		if strings.Contains(page, n) {
			t.Errorf("the page shows %s, which ServiceNow's ACLs hide from Jane", n)
		}
	}
	if a.Model != "Model: offline planner" {
		t.Errorf("model shown as %q, want %q", a.Model, "Model: offline planner")
	}
	if strings.Contains(a.Text, "|") || strings.Contains(a.Text, "**") {
		t.Errorf("the answer shows raw Markdown instead of a table:\n%s", a.Text)
	}

	invs := s.tee.invocations()
	if len(invs) != 1 || invs[0].status != 200 {
		t.Fatalf("runtime saw %d invocations (%+v), want one answered 200", len(invs), invs)
	}
	kinds, text := b.openTrace()
	if want := traceKinds(invs[0].events); !slices.Equal(kinds, want) {
		t.Errorf("trace panel lists %v, want every hop, model and tool call the runtime streamed: %v", kinds, want)
	}
	for _, must := range []string{"token_accepted", "workload_token", "model", "tool", "downstream_call", "answer"} {
		if !slices.Contains(kinds, must) {
			t.Errorf("trace panel lacks %s: %v", must, kinds)
		}
	}
	for _, want := range []string{"Issuer: " + s.idp.Issuer(), "User: jane.smith@company.com", "Workload: servicenow-agent-workload", "query_incidents", "GET table incident · HTTP 200 · 5 rows returned", "offline planner"} {
		if !strings.Contains(text, want) {
			t.Errorf("trace panel lacks %q:\n%s", want, text)
		}
	}
	if b.pageHasJWT() {
		t.Error("the page's DOM contains a JWT")
	}
	if p := b.accessibilityProblems(); len(p) > 0 {
		t.Errorf("accessibility of the answer and its trace:\n%s", strings.Join(p, "\n"))
	}
	b.screenshot("")

	b.do("sign out",
		chromedp.Click(chromedp.ID("sign-out")),
		chromedp.WaitVisible(chromedp.ID("sign-in")))
	if st := run(b, "read the status", chromedp.Text(chromedp.ID("status"))); st != "You are signed out." {
		t.Errorf("after sign-out the status says %q", st)
	}
	if strings.Contains(b.pageText(), "INC0012345") {
		t.Error("the conversation is still on the page after sign-out")
	}
	if !b.storageIsEmpty() {
		t.Error("Web Storage is not empty after sign-out")
	}
	// Sign-out ended the IdP's session too: signing in asks again.
	b.do("sign in again after sign-out", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("password")))
	b.checkConsole(s.url)
}

func TestBrowserBobOnAPhoneSeesOnlyHisThree(t *testing.T) {
	s := startStack(t)
	b := newBrowser(t, "bob-phone", 375, 812, true)
	b.open(s)
	b.signIn(s, "bob.jones@company.com", false)

	// Shift+Enter is a new line, not a send.
	b.do("type a two-line draft",
		chromedp.SendKeys(chromedp.ID("message"), "first line"),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.SendKeys(chromedp.ID("message"), "second line"))
	if v := run(b, "read the draft", chromedp.Value(chromedp.ID("message"))); v != "first line\nsecond line" {
		t.Errorf("after Shift+Enter the message box holds %q, want two lines", v)
	}
	if n := len(s.tee.invocations()); n != 0 {
		t.Errorf("Shift+Enter sent %d invocations", n)
	}
	b.do("clear the draft", chromedp.Evaluate[chromedp.Void](`document.getElementById('message').value = ''`))

	a := b.ask("Show me my incidents")
	if a.State != "done" || !slices.Equal(a.Numbers, bobsThree) {
		t.Errorf("Bob's answer: state %q, numbers %v, want done with %v\n%s", a.State, a.Numbers, bobsThree, a.Text)
	}
	for _, n := range janesFive {
		if strings.Contains(b.pageText(), n) {
			t.Errorf("Bob's page shows Jane's %s", n)
		}
	}
	if fits := run(b, "measure the page", chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); !fits {
		t.Error("at 375px the page scrolls sideways")
	}
	b.openTrace()
	if p := b.accessibilityProblems(); len(p) > 0 {
		t.Errorf("accessibility on a phone:\n%s", strings.Join(p, "\n"))
	}
	b.screenshot("")
	b.checkConsole(s.url)
}

func TestBrowserAWriteWaitsForTheUsersYesInTheSameConversation(t *testing.T) {
	s := startStack(t)
	b := newBrowser(t, "jane-confirms-a-write", 1280, 900, false)
	b.open(s)
	b.signIn(s, "jane.smith@company.com", false)

	a := b.ask("Set INC0012345 to priority 3")
	if !strings.Contains(a.Confirm, "Confirm this change?") || !strings.Contains(a.Confirm, "INC0012345") {
		t.Fatalf("no confirmation shown for the write: %+v", a)
	}
	if p := incidentField(t, s, "INC0012345", "priority"); p != "2" {
		t.Errorf("before Jane's yes, INC0012345 priority = %q, want 2 (unchanged)", p)
	}
	b.do("answer yes",
		chromedp.Click(chromedp.CSS(lastAnswer+` .confirm button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#conversation > .turn:nth-child(4) article.answer:not([data-state="streaming"])`)))
	a = b.lastAnswer()
	if a.State != "done" || !strings.Contains(a.Text, "Updated INC0012345") {
		t.Errorf("after yes: %+v", a)
	}
	if you := run(b, "read Jane's reply", chromedp.Text(chromedp.CSS(`#conversation > .turn:nth-child(3) .user-text`))); you != "yes" {
		t.Errorf("the confirmation was sent as %q, want Jane's own message yes", you)
	}
	if p := incidentField(t, s, "INC0012345", "priority"); p != "3" {
		t.Errorf("after Jane's yes, INC0012345 priority = %q, want 3", p)
	}
	invs := s.tee.invocations()
	if len(invs) != 2 || invs[0].sessionIn != "" || invs[1].sessionIn == "" {
		t.Errorf("invocations %+v: want the first without a session id and the yes continuing the session", invs)
	}
	b.screenshot("")
	b.checkConsole(s.url)
}

func TestBrowserAnExpiredConversationSaysSoAndANewOneStarts(t *testing.T) {
	s := startStack(t)
	b := newBrowser(t, "jane-session-expired", 1280, 900, false)
	b.open(s)
	b.signIn(s, "jane.smith@company.com", false)
	b.ask("Show me 5 incidents assigned to me")

	s.skew.Store(int64(16 * 60 * 1e9)) // past the 15-minute idle timeout
	a := b.ask("Show me INC0012345")
	if a.State != "error" || !strings.Contains(a.Error, "This conversation has expired") {
		t.Fatalf("after the idle timeout: %+v, want the expiry explained", a)
	}
	invs := s.tee.invocations()
	if last := invs[len(invs)-1]; last.status != 404 || last.sessionIn == "" {
		t.Errorf("the runtime answered %d to session %q, want 404 for the old session", last.status, last.sessionIn)
	}
	if p := b.accessibilityProblems(); len(p) > 0 {
		t.Errorf("accessibility of the error:\n%s", strings.Join(p, "\n"))
	}
	b.screenshot("")

	b.do("start a new conversation",
		chromedp.Click(chromedp.CSS(lastAnswer+` .answer-error button`)),
		chromedp.WaitNotPresent(chromedp.CSS(`#conversation > .turn`)))
	if v := run(b, "read the message box", chromedp.Value(chromedp.ID("message"))); v != "Show me INC0012345" {
		t.Errorf("the unsent message is %q, want it kept for the new conversation", v)
	}
	b.do("send it again",
		chromedp.Focus(chromedp.ID("message")),
		enter(),
		chromedp.WaitVisible(chromedp.CSS(lastAnswer+`:not([data-state="streaming"])`)))
	if a := b.lastAnswer(); a.State != "done" || !strings.Contains(a.Text, "INC0012345") {
		t.Errorf("in the new conversation: %+v", a)
	}
	invs = s.tee.invocations()
	if last := invs[len(invs)-1]; last.status != 200 || last.sessionIn != "" {
		t.Errorf("the new conversation sent session %q and got %d, want no session id and 200", last.sessionIn, last.status)
	}
	b.checkConsole(s.url, "404 (Not Found)")
}

func TestBrowserAClaimsChallengeSignsInAgainWithMFAAndKeepsTheMessage(t *testing.T) {
	s := startStack(t)
	if err := s.idp.SetConditionalAccess("jane.smith@company.com", true); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "jane-mfa-claims-challenge", 1280, 900, false)
	b.open(s)
	b.signIn(s, "jane.smith@company.com", false) // the agent's own API needs no MFA

	const prompt = "Show me 5 incidents assigned to me"
	a := b.ask(prompt)
	if a.State != "error" || !strings.Contains(a.Error, "sign in again") {
		t.Fatalf("under the MFA policy: %+v, want a sign-in-again message", a)
	}
	if invs := s.tee.invocations(); invs[len(invs)-1].status != 401 {
		t.Errorf("runtime answered %d, want 401 insufficient_claims", invs[len(invs)-1].status)
	}
	b.screenshot("-challenge")

	b.do("follow the challenge",
		chromedp.Click(chromedp.CSS(lastAnswer+` .answer-error button`)),
		chromedp.WaitVisible(chromedp.ID("mfa_approve")))
	if mfa := run(b, "read the sign-in page", chromedp.Evaluate[bool](`document.getElementById('mfa_approve').required`)); !mfa {
		t.Error("the IdP's page does not require MFA: the claims challenge was not passed on")
	}
	b.completeSignIn(s, "jane.smith@company.com", true)
	if v := run(b, "read the message box", chromedp.Value(chromedp.ID("message"))); v != prompt {
		t.Errorf("after signing in again the message box holds %q, want the unsent %q", v, prompt)
	}
	if !b.storageIsEmpty() {
		t.Error("Web Storage is not empty after the second sign-in")
	}
	b.do("send it", chromedp.Focus(chromedp.ID("message")), enter(),
		chromedp.WaitVisible(chromedp.CSS(lastAnswer+`:not([data-state="streaming"])`)))
	if a := b.lastAnswer(); a.State != "done" || !slices.Equal(a.Numbers, janesFive) {
		t.Errorf("after MFA: %+v, want Jane's five", a)
	}
	b.checkConsole(s.url, "401 (Unauthorized)")
}

// refuse answers an invocation as the runtime refuses one.
func refuse(status int, header map[string]string, message string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":%q}`, message)
	}
}

func TestBrowserRefusalsAndBrokenConnectionsAreExplainedAndAnExpiredTokenIsRefreshed(t *testing.T) {
	s := startStack(t)
	b := newBrowser(t, "refusals", 1280, 900, false)
	b.open(s)
	b.signIn(s, "jane.smith@company.com", false)

	// A 401 for an expired token: the page redeems its refresh token and
	// retries, twice, so the second refresh proves the first one's
	// rotated refresh token was kept.
	for i := 1; i <= 2; i++ {
		s.tee.inject(refuse(http.StatusUnauthorized, map[string]string{"WWW-Authenticate": `Bearer realm="onbehalf", error="invalid_token", error_description="token expired"`}, "the bearer token was rejected: token expired"))
		if a := b.ask("Show me INC0012345"); a.State != "done" || !strings.Contains(a.Text, "VPN connection dropping") {
			t.Fatalf("after a 401 (%d): %+v, want a refresh and a retry", i, a)
		}
		if n := s.idp.TokenRequests(entra.GrantRefreshToken); n != int64(i) {
			t.Errorf("refresh token redemptions = %d after %d expired-token refusals", n, i)
		}
	}

	cases := []struct {
		name   string
		fault  http.HandlerFunc
		want   string
		button string
	}{
		{"another user's session", refuse(http.StatusForbidden, nil, "this session belongs to another user"),
			"Access denied: this session belongs to another user.", "Start a new conversation"},
		{"unavailable", refuse(http.StatusServiceUnavailable, map[string]string{"Retry-After": "5"}, "the identity provider's signing keys are unavailable; try again shortly"),
			"temporarily unavailable: the identity provider's signing keys are unavailable; try again shortly. Try again in 5 seconds.", "Try again"},
		{"connection dropped", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, "Could not reach the assistant", "Try again"},
		{"stream cut off", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"type\":\"model\",\"model\":\"offline planner\"}\n\ndata: {\"type\":\"text\",\"text\":\"Here are\"}\n\n")
		}, "cut off before it finished", "Try again"},
	}
	for _, c := range cases {
		// Twice: Chromium retries a request once by itself when a reused
		// connection closes before any answer.
		s.tee.inject(c.fault)
		s.tee.inject(c.fault)
		a := b.ask("Show me INC0012345")
		s.tee.clearFaults()
		if a.State != "error" || !strings.Contains(a.Error, c.want) || !strings.Contains(a.Error, c.button) {
			t.Errorf("%s: %+v, want an error saying %q with a %q button", c.name, a, c.want, c.button)
		}
	}
	if p := b.accessibilityProblems(); len(p) > 0 {
		t.Errorf("accessibility of the errors:\n%s", strings.Join(p, "\n"))
	}
	b.screenshot("")

	// Try again really sends it again.
	b.do("try again",
		chromedp.Click(chromedp.CSS(lastAnswer+` .answer-error button`)),
		chromedp.WaitVisible(chromedp.CSS(lastAnswer+`[data-state="done"]`)))
	b.checkConsole(s.url, "401 (Unauthorized)", "403 (Forbidden)", "503 (Service Unavailable)", "ERR_EMPTY_RESPONSE", "ERR_CONNECTION")
}
