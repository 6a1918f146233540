package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/stack"
	"github.com/onbehalf/onbehalf/store"
)

func TestAuditListsTheExchangeWithoutSecrets(t *testing.T) {
	d, _ := startTestDev(t)
	jane := tokenFor(t, d, "jane.smith@company.com")
	if _, errOut, err := run(t, "invoke", "--data-dir", d.Env[envDataDir], "--bearer-token", jane, "Show me my open incidents"); err != nil {
		t.Fatalf("invoke: %v %s", err, errOut)
	}
	// The server loads its spooled events every 50 ms: ask again, for a
	// bounded while, until both exchanges are there.
	var out string
	var lines []string
	for range 50 {
		var err error
		if out, _, err = run(t, "audit", "--data-dir", d.Env[envDataDir], "--action", "GetResourceOauth2Token"); err != nil {
			t.Fatal(err)
		}
		if lines = strings.Split(strings.TrimSpace(out), "\n"); len(lines) >= 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	row := regexp.MustCompile(`GetResourceOauth2Token\s+servicenow-agent-workload\s+\S+@127\.0\.0\.1:\d+\s+EntraIdServiceNow\s+ON_BEHALF_OF_TOKEN_EXCHANGE\s+ok\s+(idp call|vault hit)`)
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "TIME") || !row.MatchString(lines[1]) || !row.MatchString(lines[2]) ||
		!strings.Contains(lines[2], "idp call") {
		t.Errorf("onbehalf audit --action GetResourceOauth2Token:\n%s", out)
	}
	js, _, err := run(t, "audit", "--data-dir", d.Env[envDataDir], "--json", "--outcome", "ok")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(js), "\n") {
		var ev store.AuditEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Outcome != "ok" {
			t.Errorf("bad JSON line %q: %v", line, err)
		}
		n++
	}
	if n < 2 {
		t.Errorf("--json --outcome ok gave %d events, want the WAT issue and the exchange at least", n)
	}
	assertNoSecretsIn(t, out+js, d, jane)
}

// Keys rotate without downtime: after `keys rotate` and a restart, tokens
// sealed under the old key still open (a vault hit, no new IdP call), and
// new ones are sealed under the new key.
func TestKeysRotateKeepsOldCiphertextsOpening(t *testing.T) {
	d, _ := startTestDev(t)
	dir := d.Env[envDataDir]
	jane := tokenFor(t, d, "jane.smith@company.com")
	ask := func() {
		t.Helper()
		if _, errOut, err := run(t, "invoke", "--data-dir", dir, "--bearer-token", jane, "Show me my open incidents"); err != nil {
			t.Fatalf("invoke: %v %s", err, errOut)
		}
	}
	ask()
	out, _, err := run(t, "keys", "rotate", "--data-dir", dir)
	if err != nil || !regexp.MustCompile(`^active key \S+ \(was \S+\); 2 keys in `).MatchString(out) {
		t.Fatalf("keys rotate: %q %v", out, err)
	}
	// Restart the stack on the same data dir and ports.
	d.Close()
	d2, err := startDev(context.Background(), devOptions{
		DataDir:     dir,
		RuntimeAddr: strings.TrimPrefix(d.Env[envRuntimeURL], "http://"), IdentityAddr: strings.TrimPrefix(d.Env[envIdentityURL], "http://"),
		EntraAddr: strings.TrimPrefix(d.Env[envEntraURL], "http://"), ServiceNowAddr: strings.TrimPrefix(d.Env[envServiceNowURL], "http://"),
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(d2.Close)
	ask()
	events, err := d2.stack.Store.ListAudit(context.Background(), store.AuditFilter{Action: "GetResourceOauth2Token"})
	if err != nil {
		t.Fatal(err)
	}
	// Each invocation asks twice (the agent's up-front check, then the tool).
	idpCalls := 0
	for _, ev := range events {
		if strings.HasPrefix(ev.Detail, "idp call") {
			idpCalls++
		}
	}
	if len(events) != 4 || idpCalls != 1 || !strings.HasPrefix(events[0].Detail, "vault hit") || !strings.HasPrefix(events[3].Detail, "idp call") {
		var got []string
		for _, ev := range events {
			got = append(got, ev.Detail)
		}
		t.Errorf("exchanges newest first = %q, want three vault hits after one idp call: the old key's ciphertext must still open", got)
	}
}

// runtime.sessionIdleTimeout from the configuration reaches the front door.
func TestConfiguredSessionIdleTimeoutExpiresSessions(t *testing.T) {
	d, _ := startTestDev(t)
	cfg, err := (&configFlags{dataDir: d.Env[envDataDir]}).load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Runtime.Listen, cfg.Identity.Listen, cfg.Runtime.UI = "127.0.0.1:0", "127.0.0.1:0", nil
	cfg.Runtime.SessionIdleTimeout = "1ms"
	s, err := stack.Start(context.Background(), cfg, stack.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	jane := tokenFor(t, d, "jane.smith@company.com")
	session := "session-" + strings.Repeat("idle", 8)
	if _, errOut, err := run(t, "invoke", "--url", s.RuntimeURL, "--bearer-token", jane, "--session-id", session, "Show me INC0012345"); err != nil {
		t.Fatalf("first invocation: %v %s", err, errOut)
	}
	time.Sleep(5 * time.Millisecond) // idle longer than the configured 1ms
	_, _, err = run(t, "invoke", "--url", s.RuntimeURL, "--bearer-token", jane, "--session-id", session, "Show me INC0012345")
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "expired") {
		t.Errorf("second invocation after the idle timeout: err = %v, want 404 session expired", err)
	}
}
