package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// `onbehalf dev --metrics-addr` serves Prometheus metrics: after Jane's
// question, the invocation, the broker's calls, the token's source and the
// IdP request are counted, and the audit spool reports its queue; nothing
// in the scrape is a user or a token.
func TestDevServesMetrics(t *testing.T) {
	logs := &syncBuffer{}
	d, err := startDev(context.Background(), devOptions{
		DataDir:     t.TempDir(),
		RuntimeAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0", EntraAddr: "127.0.0.1:0", ServiceNowAddr: "127.0.0.1:0",
		MetricsAddr: "127.0.0.1:0",
		Logger:      slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("startDev: %v", err)
	}
	t.Cleanup(d.Close)
	url := d.Env[envMetricsURL]
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/metrics") {
		t.Fatalf("%s = %q, want the metrics URL in dev.env", envMetricsURL, url)
	}
	jane := tokenFor(t, d, "jane.smith@company.com")
	if _, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", jane, "Show me 5 incidents assigned to me"); err != nil {
		t.Fatalf("invoke: %v %s", err, errOut)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`onbehalf_identity_calls_total{operation="GetWorkloadAccessTokenForJWT",outcome="ok"} 1`,
		`onbehalf_identity_resource_tokens_total{provider="` + devProvider + `",source="idp"} 1`,
		`onbehalf_identity_idp_request_seconds_count{provider="` + devProvider + `",result="ok"} 1`,
		`go_goroutines `,
		`onbehalf_runtime_invocations_total{agent="` + devAgentName + `",status="200"} 1`,
		`onbehalf_runtime_invocation_seconds_count{agent="` + devAgentName + `"} 1`,
		`onbehalf_audit_spool_queued_events `,
		`onbehalf_audit_spool_failed_loads_total 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// The agent fetched the token once ahead (the preflight) and once per
	// tool call: every one after the first is a vault hit.
	if !regexp.MustCompile(`onbehalf_identity_resource_tokens_total\{provider="` + devProvider + `",source="vault"\} [1-9]`).MatchString(text) {
		t.Errorf("metrics count no vault hit:\n%s", grepLines(text, "onbehalf_"))
	}
	assertNoSecretsIn(t, text, d, jane)
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
