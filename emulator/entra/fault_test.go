package entra_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/emulator/entra"
)

func TestFault503IsEntraShapedTemporarilyUnavailableThenClears(t *testing.T) {
	tn := start(t)
	tokenA := tn.tokenA(t)
	if err := tn.srv.SetFault(entra.Fault{Status: 503, Count: 2, RetryAfter: 1500 * time.Millisecond, GrantType: entra.GrantJWTBearer}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope))
		text := wantError(t, r, http.StatusServiceUnavailable, "temporarily_unavailable", 90033)
		if text != "A transient error has occurred. Please try again." {
			t.Errorf("description = %q", text)
		}
		if ra := r.header.Get("Retry-After"); ra != "2" {
			t.Errorf("Retry-After = %q, want 2 (rounded up)", ra)
		}
	}
	// Other grant types were never affected, and the third OBO succeeds.
	if tn.tokenA(t) == "" {
		t.Fatal("password grant failed during an OBO-only fault")
	}
	if r := tn.post(t, oboForm(entra.DevAgentClientID, agentSecret, tokenA, connectorScope)); r.status != http.StatusOK {
		t.Fatalf("OBO after the fault's count = %d %s", r.status, r)
	}
	if got := tn.srv.TokenRequests(entra.GrantJWTBearer); got != 3 {
		t.Errorf("TokenRequests(OBO) = %d, want 3 (faulted requests count)", got)
	}
}

func TestFaultPlain500ForEveryGrantUntilCleared(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetFault(entra.Fault{Status: 500}); err != nil {
		t.Fatal(err)
	}
	for _, form := range []map[string][]string{
		passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"),
		clientCredentialsForm(entra.DevAgentClientID, agentSecret, connectorAPI+"/.default"),
		passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"),
	} {
		resp, err := http.PostForm(tn.srv.TokenURL(), form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || string(body) != "500 Internal Server Error\n" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %q (%s), want a plain 500", form["grant_type"][0], resp.StatusCode, body, resp.Header.Get("Content-Type"))
		}
	}
	tn.srv.ClearFaults()
	if tn.tokenA(t) == "" {
		t.Fatal("no token after ClearFaults")
	}
}

func TestFaultForGrantTypeWinsOverFaultForAll(t *testing.T) {
	tn := start(t)
	_ = tn.srv.SetFault(entra.Fault{Status: 500})
	_ = tn.srv.SetFault(entra.Fault{Status: 503, GrantType: entra.GrantPassword})
	wantError(t, tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user")), 503, "temporarily_unavailable", 90033)
}

func TestFaultDelayThenAnswersNormally(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetFault(entra.Fault{Delay: 5 * time.Millisecond, Count: 1}); err != nil {
		t.Fatal(err)
	}
	r := tn.post(t, passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user"))
	if r.status != http.StatusOK || r.str("access_token") == "" {
		t.Fatalf("delayed request = %d %s, want a token", r.status, r)
	}
}

// A client that gives up ends the server's wait: the handler returns (the
// test server's Close would otherwise wait an hour) and logs it.
func TestFaultDelayEndsWhenTheClientGivesUp(t *testing.T) {
	tn := start(t)
	if err := tn.srv.SetFault(entra.Fault{Delay: time.Hour, Status: 503}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, tn.srv.TokenURL(),
		strings.NewReader(passwordForm(entra.DevAgentClientID, agentSecret, agentAPI+"/access_as_user").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	for i := 0; i < 400 && !strings.Contains(tn.logs.String(), "abandoned by the client"); i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(tn.logs.String(), "abandoned by the client") {
		t.Fatalf("the server did not notice the client leaving; logs:\n%s", tn.logs)
	}
}

func TestSetFaultRejectsUselessOrNon5xxFaults(t *testing.T) {
	tn := start(t)
	for _, f := range []entra.Fault{{Status: 400}, {Status: 200}, {}, {Status: 503, Count: -1}, {Delay: -time.Second}} {
		if err := tn.srv.SetFault(f); err == nil {
			t.Errorf("SetFault(%+v) accepted", f)
		}
	}
	if tn.tokenA(t) == "" {
		t.Fatal("a rejected fault took effect")
	}
}
