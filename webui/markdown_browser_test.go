package webui_test

import (
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/onbehalf/onbehalf/webui"
)

// The answer renderer turns model text into DOM nodes: Markdown markup
// becomes elements, HTML in the text stays text, and the page's CSP makes
// HTML string sinks throw (Trusted Types), so a slip would fail loudly.
func TestBrowserMarkdownBecomesElementsAndHTMLStaysText(t *testing.T) {
	srv := httptest.NewServer(webui.Handler(testConfig()))
	t.Cleanup(srv.Close)
	b := newBrowser(t, "markdown", 800, 600, false)
	b.do("open the page", chromedp.Navigate(srv.URL+"/"), chromedp.WaitReady(chromedp.ID("main")))

	type rendered struct {
		Injected  int      `json:"injected"`
		Strong    string   `json:"strong"`
		Code      string   `json:"code"`
		Paragraph string   `json:"paragraph"`
		Breaks    int      `json:"breaks"`
		Headers   []string `json:"headers"`
		Cells     []string `json:"cells"`
		Align     string   `json:"align"`
		Items     []string `json:"items"`
		Em        string   `json:"em"`
		Plain     string   `json:"plain"`
		SinkBlock bool     `json:"sinkBlocked"`
	}
	got := run(b, "render Markdown in the page", chromedp.Evaluate[rendered](`(async () => {
		const src = document.querySelector('script[type=module]').src;
		const { renderMarkdown } = await import(src.replace(/app\.js$/, 'markdown.js'));
		const d = document.createElement('div');
		d.append(renderMarkdown(
			"**Bold** and `+"`code`"+` and <img src=x onerror=alert(1)>\nsecond line\n\n" +
			"| A | B |\n|---|---:|\n| x \\| y | <b>z</b> |\n\n" +
			"- one\n- _two_\n\nsnake_case_name stays as it is"));
		let sinkBlocked = false;
		try { d.innerHTML = '<b>x</b>'; } catch (e) { sinkBlocked = true; }
		const texts = (sel) => [...d.querySelectorAll(sel)].map((e) => e.textContent);
		return {
			injected: d.querySelectorAll('img, b, script').length,
			strong: texts('p strong').join(),
			code: texts('p code').join(),
			paragraph: d.querySelector('p').textContent,
			breaks: d.querySelectorAll('p br').length,
			headers: texts('table th'),
			cells: texts('table td'),
			align: d.querySelectorAll('table th')[1].className,
			items: texts('ul li'),
			em: texts('li em').join(),
			plain: d.querySelectorAll('p')[1].textContent,
			sinkBlocked,
		};
	})()`, chromedp.EvalAwaitPromise))

	if got.Injected != 0 {
		t.Errorf("%d HTML elements came from the text (img/b/script)", got.Injected)
	}
	if got.Strong != "Bold" || got.Code != "code" || got.Breaks != 1 {
		t.Errorf("inline: strong %q code %q breaks %d, want Bold, code, 1", got.Strong, got.Code, got.Breaks)
	}
	if want := "Bold and code and <img src=x onerror=alert(1)>second line"; got.Paragraph != want {
		t.Errorf("paragraph text %q, want %q", got.Paragraph, want)
	}
	if !slices.Equal(got.Headers, []string{"A", "B"}) || !slices.Equal(got.Cells, []string{"x | y", "<b>z</b>"}) || got.Align != "align-right" {
		t.Errorf("table: headers %q cells %q align %q", got.Headers, got.Cells, got.Align)
	}
	if !slices.Equal(got.Items, []string{"one", "two"}) || got.Em != "two" {
		t.Errorf("list: %q, em %q", got.Items, got.Em)
	}
	if got.Plain != "snake_case_name stays as it is" {
		t.Errorf("underscores inside words became emphasis: %q", got.Plain)
	}
	if !got.SinkBlock {
		t.Error("assigning innerHTML a string did not throw: Trusted Types are not enforced")
	}
}
