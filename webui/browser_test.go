package webui_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which CI installs (.ci/run).
const chromiumPath = "/usr/bin/chromium"

// stepTimeout bounds each browser step.
const stepTimeout = 20 * time.Second

// shared is the one Chromium process of the test binary (fresh profile);
// each test gets its own browser context in it (an isolated cookie jar,
// storage and cache, like a fresh profile), which is much cheaper than a
// process per test on a small CI machine.
var shared struct {
	once   sync.Once
	ctx    context.Context
	cancel func()
	dir    string
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cancel != nil {
		shared.cancel()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}

func startChromium() {
	shared.dir, shared.err = os.MkdirTemp("", "webui-chromium-")
	if shared.err != nil {
		return
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(shared.dir),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
		chromedp.Flag("force-color-profile", "srgb"),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	shared.ctx = ctx
	shared.cancel = func() { cancelBrowser(); cancelAlloc() }
	start, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	// The first Do binds the browser's life to its context: run it on ctx
	// itself and bound the wait with a timer.
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case shared.err = <-done:
	case <-start.Done():
		shared.err = fmt.Errorf("chromium did not start within %v", stepTimeout)
	}
}

// browser drives one tab in its own browser context.
type browser struct {
	t    *testing.T
	name string // names the screenshots
	ctx  context.Context
	// width, height and viewport are the emulated screen.
	width, height int64
	viewport      []chromedp.EmulateViewportOption
	mu            sync.Mutex
	console       []chromedp.ConsoleMessage
}

// newBrowser opens a tab in a fresh browser context with a width x height
// viewport; mobile emulates a phone (touch, mobile viewport rules).
func newBrowser(t *testing.T, name string, width, height int, mobile bool) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("skipping the browser test: no Chromium at %s (%v); install Debian's chromium package to run it", chromiumPath, err)
	}
	shared.once.Do(startChromium)
	if shared.err != nil {
		t.Fatalf("starting %s: %v", chromiumPath, shared.err)
	}
	tab, cancel := chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	b := &browser{t: t, name: name, ctx: tab, width: int64(width), height: int64(height)}
	if mobile {
		b.viewport = []chromedp.EmulateViewportOption{chromedp.EmulateMobile, chromedp.EmulateTouch}
	}
	// The tab is created by its first action, on tab itself (it lives as
	// long as that context); the steps after it are bounded.
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	b.do("set the viewport", chromedp.EmulateViewport(b.width, b.height, b.viewport...))
	return b
}

// do runs steps within stepTimeout; on failure it saves a screenshot and
// the page's text, and fails the test.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.failed(what, err)
	}
}

func run[T any](b *browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.failed(what, err)
	}
	return v
}

func (b *browser) failed(what string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		b.save(b.name+"-failure", png)
	}
	b.t.Fatalf("%s: %v\nat %s\npage text:\n%s\nconsole:\n%s", what, err, loc, text, b.consoleText())
}

// screenshot saves a PNG of the whole page as a test artifact. The
// viewport grows to the page's height first, so that the sticky message
// box sits at the end of the page instead of over the conversation.
func (b *browser) screenshot(suffix string) {
	b.t.Helper()
	h := run(b, "measure the page", chromedp.Evaluate[int64](`document.documentElement.scrollHeight`))
	b.do("fit the viewport to the page", chromedp.EmulateViewport(b.width, max(h, b.height), b.viewport...))
	b.save(b.name+suffix, run(b, "screenshot", chromedp.FullScreenshot(100)))
	b.do("restore the viewport", chromedp.EmulateViewport(b.width, b.height, b.viewport...))
}

func (b *browser) save(name string, png []byte) {
	b.t.Helper()
	dir := artifactsDir(b.t)
	p := filepath.Join(dir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Errorf("saving screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot: %s", p)
}

// artifactsDir is $ONBEHALF_TEST_ARTIFACTS, or test-artifacts at the
// module root (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("ONBEHALF_TEST_ARTIFACTS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		root := wd
		for {
			if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
				break
			}
			parent := filepath.Dir(root)
			if parent == root {
				root = wd
				break
			}
			root = parent
		}
		dir = filepath.Join(root, "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func (b *browser) consoleText() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	for _, m := range b.console {
		fmt.Fprintf(&s, "  [%s] %s (%s)\n", m.Type, m.Text, m.URL)
	}
	return s.String()
}

// checkConsole fails on uncaught exceptions, Content-Security-Policy or
// Trusted Types violations, and errors logged by the page, except those
// whose text contains one of allowed.
func (b *browser) checkConsole(origin string, allowed ...string) {
	b.t.Helper()
	b.mu.Lock()
	msgs := append([]chromedp.ConsoleMessage(nil), b.console...)
	b.mu.Unlock()
	for _, m := range msgs {
		bad := m.IsException() ||
			strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Trusted Type") ||
			(m.Type == "error" && strings.HasPrefix(m.URL, origin))
		for _, a := range allowed {
			if strings.Contains(m.Text, a) {
				bad = false
			}
		}
		if bad {
			b.t.Errorf("browser console: [%s] %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
		}
	}
}

// open loads the chat page and waits for the signed-out view.
func (b *browser) open(s *stack) {
	b.t.Helper()
	b.do("open the chat page", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("sign-in")))
}

// signIn goes through the emulator's sign-in page as upn and waits for
// the chat. mfa ticks the emulated MFA approval.
func (b *browser) signIn(s *stack, upn string, mfa bool) {
	b.t.Helper()
	b.do("go to the IdP's sign-in page", chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("password")))
	b.completeSignIn(s, upn, mfa)
}

// completeSignIn fills the IdP's sign-in page.
func (b *browser) completeSignIn(s *stack, upn string, mfa bool) {
	b.t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.Click(chromedp.CSS(`input[type=radio][value="` + upn + `"]`)),
		chromedp.SendKeys(chromedp.ID("password"), s.idp.UserPassword),
	}
	if mfa {
		steps = append(steps, chromedp.Click(chromedp.ID("mfa_approve")))
	}
	// Back at the chat (#message), or stuck on an IdP error page.
	steps = append(steps, chromedp.Click(chromedp.CSS(`button[value=sign_in]`)), chromedp.WaitVisible(chromedp.CSS(`#message, p[role=alert]`)))
	b.do("sign in as "+upn, steps...)
	if loc := run(b, "read the address", chromedp.Location()); !strings.HasPrefix(loc, s.url+"/") {
		text := b.pageText()
		hint := ""
		if strings.Contains(text, "AADSTS90100") {
			hint = "\n(Chromium sends Origin: null with a form post from a page whose Referrer-Policy is no-referrer, " +
				"as the emulator's sign-in page's is; the emulator must treat Origin \"null\" like no Origin: " +
				"its browser cookie already ties the post to the page it served.)"
		}
		b.t.Fatalf("signing in as %s ended on the IdP at %s:\n%s%s", upn, loc, text, hint)
	}
}

// accessibilityProblems lists visible text whose contrast with its
// background is below 4.5:1 (WCAG AA) and controls without an accessible
// name.
func (b *browser) accessibilityProblems() []string {
	b.t.Helper()
	return run(b, "check contrast and names", chromedp.Evaluate[[]string](`(() => {
		const parse = (c) => {
			const m = /rgba?\(([^)]+)\)/.exec(c);
			if (!m) return null;
			const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
			return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
		};
		const lum = ({ r, g, b }) => {
			const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
			return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
		};
		const background = (el) => {
			for (let e = el; e; e = e.parentElement) {
				const c = parse(getComputedStyle(e).backgroundColor);
				if (c && c.a > 0.5) return c;
			}
			return { r: 255, g: 255, b: 255, a: 1 };
		};
		const out = [];
		const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walk.nextNode(); n; n = walk.nextNode()) {
			const el = n.parentElement;
			if (!n.textContent.trim() || !el.checkVisibility()) continue;
			const r = el.getBoundingClientRect();
			if (r.width <= 1 || r.height <= 1 || el.closest('button:disabled')) continue;
			const [hi, lo] = [lum(parse(getComputedStyle(el).color)), lum(background(el))].sort((x, y) => y - x);
			const ratio = (hi + 0.05) / (lo + 0.05);
			if (ratio < 4.5) out.push(ratio.toFixed(2) + ':1 for "' + n.textContent.trim().slice(0, 40) + '"');
		}
		for (const c of document.querySelectorAll('button, textarea, input, a, [tabindex]:not([tabindex="-1"])')) {
			if (!c.checkVisibility()) continue;
			const by = c.getAttribute('aria-labelledby');
			const name = c.getAttribute('aria-label') || (c.labels && c.labels.length ? c.labels[0].textContent : '') ||
				(by && document.getElementById(by) ? document.getElementById(by).textContent : '') || c.textContent;
			if (!name.trim()) out.push('no accessible name: ' + c.outerHTML.slice(0, 80));
		}
		return out;
	})()`))
}

// answerView is what the page shows of its last answer.
type answerView struct {
	State   string   `json:"state"`
	Text    string   `json:"text"`
	Model   string   `json:"model"`
	Numbers []string `json:"numbers"` // first column of its tables
	Error   string   `json:"error"`
	Confirm string   `json:"confirm"`
}

const lastAnswer = `#conversation > .turn:last-child article.answer`

// enter presses Enter as a person does: keydown and keyup, with no char
// event after a keydown the page cancelled (SendKeys would still insert
// a newline; see chromedp's docs/API.md, example 20).
func enter(modifiers ...chromedp.Modifier) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		var mods int64
		for _, m := range modifiers {
			mods |= int64(m)
		}
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", Modifiers: mods,
				WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ask types prompt, presses Enter and waits for the answer to finish.
func (b *browser) ask(prompt string) answerView {
	b.t.Helper()
	b.do("ask "+prompt,
		chromedp.SendKeys(chromedp.ID("message"), prompt),
		enter(),
		chromedp.WaitVisible(chromedp.CSS(lastAnswer+`:not([data-state="streaming"])`)))
	return b.lastAnswer()
}

func (b *browser) lastAnswer() answerView {
	b.t.Helper()
	return run(b, "read the answer", chromedp.Evaluate[answerView](`(() => {
		const a = document.querySelector('`+lastAnswer+`');
		const text = (sel) => { const e = a.querySelector(sel); return e ? e.innerText : ''; };
		return {
			state: a.dataset.state,
			text: text('.answer-body'),
			model: text('.model'),
			numbers: [...a.querySelectorAll('tbody tr')].map((tr) => tr.cells[0].textContent),
			error: text('.answer-error'),
			confirm: text('.confirm'),
		};
	})()`))
}

// openTrace opens the last answer's trace panel and returns the kind of
// each item (data-hop) and the panel's text.
func (b *browser) openTrace() ([]string, string) {
	b.t.Helper()
	b.do("open the trace panel",
		chromedp.Click(chromedp.CSS(lastAnswer+` .trace-toggle`)),
		chromedp.WaitVisible(chromedp.CSS(lastAnswer+` .trace-panel`)))
	type trace struct {
		Kinds    []string `json:"kinds"`
		Text     string   `json:"text"`
		Expanded string   `json:"expanded"`
	}
	tr := run(b, "read the trace panel", chromedp.Evaluate[trace](`(() => {
		const a = document.querySelector('`+lastAnswer+`');
		return {
			kinds: [...a.querySelectorAll('.trace-panel li')].map((li) => li.dataset.hop),
			text: a.querySelector('.trace-panel').innerText,
			expanded: a.querySelector('.trace-toggle').getAttribute('aria-expanded'),
		};
	})()`))
	if tr.Expanded != "true" {
		b.t.Errorf("trace toggle aria-expanded = %q after opening, want true", tr.Expanded)
	}
	return tr.Kinds, tr.Text
}

// storageIsEmpty reports whether the page keeps nothing in Web Storage.
func (b *browser) storageIsEmpty() bool {
	return run(b, "read Web Storage", chromedp.Evaluate[bool](`localStorage.length === 0 && sessionStorage.length === 0`))
}

// pageHasJWT reports whether anything JWT-like is in the DOM.
func (b *browser) pageHasJWT() bool {
	return run(b, "search the DOM for tokens", chromedp.Evaluate[bool](`/eyJ[A-Za-z0-9_-]{8,}\./.test(document.documentElement.outerHTML)`))
}

func (b *browser) pageText() string {
	return run(b, "read the page", chromedp.Evaluate[string](`document.body.innerText`))
}
