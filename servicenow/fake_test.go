package servicenow

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"
)

const testToken = "eyJ0eXAiOiJKV1QifQ.token-b-for-jane.sig"

// recorded is one request the fake instance received.
type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   string
}

// fakeInstance is a ServiceNow stand-in on 127.0.0.1 whose answers each
// test scripts; it records every request.
type fakeInstance struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []recorded
	sleeps []time.Duration
}

// newFake starts a fake instance answering with handle (n counts requests
// from 0) and returns it with a Client signed in with testToken.
func newFake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) (*fakeInstance, *Client) {
	t.Helper()
	f := &fakeInstance{}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone(), string(body)})
		f.mu.Unlock()
		handle(w, r, n)
	}))
	t.Cleanup(f.srv.Close)
	c := &Client{
		BaseURL:    f.srv.URL,
		HTTPClient: f.srv.Client(),
		Tokens:     StaticToken(testToken),
		Sleep: func(_ context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return nil
		},
	}
	return f, c
}

func (f *fakeInstance) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// reply writes a JSON answer the way ServiceNow does.
func reply(w http.ResponseWriter, status int, body string, headers ...string) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Add(headers[i], headers[i+1])
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}
