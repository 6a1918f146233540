package oauth_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/oauth"
)

// scriptedServer answers the n-th request (1-based) with script(n) and
// counts requests.
func scriptedServer(t *testing.T, script func(n int64, w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		script(n.Add(1), w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTransientFailuresAreRetriedThenSucceed(t *testing.T) {
	srv, n := scriptedServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 1:
			w.WriteHeader(http.StatusBadGateway)
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"error":"temporarily_unavailable"}`)
		default:
			io.WriteString(w, okBody)
		}
	})
	tok, err := newClient().ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil)
	if err != nil || tok.AccessToken != "TOKEN-B" {
		t.Fatalf("got %v, %v; want TOKEN-B after two retries", tok, err)
	}
	if got := n.Load(); got != 3 {
		t.Errorf("requests = %d, want 3", got)
	}
}

func TestPersistentOutageIsUnavailableAfterBoundedRetries(t *testing.T) {
	srv, n := scriptedServer(t, func(int64, http.ResponseWriter, *http.Request) {})
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	})
	c := newClient()
	c.MaxRetries = 3
	_, err := c.JWTBearer(context.Background(), srv.URL, postAuth(), testUserJWT, nil, nil)
	if !errors.Is(err, oauth.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if !strings.Contains(err.Error(), "after 4 attempts") {
		t.Errorf("err = %q, want it to say after 4 attempts", err)
	}
	if got := n.Load(); got != 4 {
		t.Errorf("requests = %d, want 4 (1 + MaxRetries 3)", got)
	}
}

func TestSlowServerTimesOutPerAttemptAndIsUnavailable(t *testing.T) {
	release := make(chan struct{})
	srv, n := scriptedServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then the server notices the client leaving
		select {                    // hang until the client gives up on this attempt
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before the server's Close
	c := newClient()
	c.AttemptTimeout = 20 * time.Millisecond
	c.MaxRetries = 1
	_, err := c.ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil)
	if !errors.Is(err, oauth.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable wrapping the attempt deadline", err)
	}
	if got := n.Load(); got != 2 {
		t.Errorf("requests = %d, want 2", got)
	}
}

func TestAnswersAndRefusalsAreNotRetried(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
	}{
		{400, `{"error":"invalid_grant"}`},
		{401, `{"error":"invalid_client"}`},
		{501, `{"error":"server_error"}`}, // not in the retryable set
	} {
		srv, n := scriptedServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(tc.status)
			io.WriteString(w, tc.body)
		})
		_, err := newClient().ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil)
		var oe *oauth.Error
		if !errors.As(err, &oe) || oe.StatusCode != tc.status {
			t.Errorf("%d: err = %v, want the *oauth.Error", tc.status, err)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("%d: requests = %d, want 1", tc.status, got)
		}
	}
}

func TestLongRetryAfterEndsRetries(t *testing.T) {
	srv, n := scriptedServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":"invalid_request","error_description":"AADSTS50196: throttled"}`)
	})
	_, err := newClient().ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil)
	if !errors.Is(err, oauth.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("requests = %d, want 1 (Retry-After 120 s is beyond the bound)", got)
	}
}

func TestNegativeMaxRetriesSendsOnce(t *testing.T) {
	srv, n := scriptedServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
	c := newClient()
	c.MaxRetries = -1
	if _, err := c.ClientCredentials(context.Background(), srv.URL, postAuth(), nil, nil); !errors.Is(err, oauth.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
}
