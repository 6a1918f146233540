package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// reply is one scripted answer of the fake chat completions API.
type reply struct {
	status int               // 200 when 0
	header map[string]string // extra response headers
	body   string            // written as is
	abort  bool              // break the connection after body
}

// sse is a 200 reply streaming testdata/name.
func sse(t *testing.T, name string) reply {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return reply{body: string(b)}
}

// apiError is an error reply in OpenAI's JSON error shape.
func apiError(status int, typ, code, msg string, header map[string]string) reply {
	var c any
	if code != "" {
		c = code
	}
	body, _ := json.Marshal(map[string]any{
		"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": c},
	})
	h := map[string]string{"Content-Type": "application/json", "x-request-id": "req_6d5b2c9a0f1e4e0a8b1c2d3e4f5a6b7c"}
	for k, v := range header {
		h[k] = v
	}
	return reply{status: status, header: h, body: string(body)}
}

// recorded is one request the fake received.
type recorded struct {
	path   string
	header http.Header
	body   map[string]any
}

// fakeAPI is a local chat completions API that plays replies in order.
type fakeAPI struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	replies []reply
	reqs    []recorded
}

func startFake(t *testing.T, replies ...reply) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{path: r.URL.Path, header: r.Header.Clone(), body: body})
	if len(f.replies) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unexpected request %d", len(f.reqs))
		http.Error(w, `{"error":{"type":"server_error","message":"no reply scripted"}}`, 500)
		return
	}
	rep := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()

	w.Header().Set("Content-Type", "text/event-stream")
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, rep.body)
	if rep.abort {
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the client sees the connection drop mid-stream
	}
}

func (f *fakeAPI) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// sleeper records the waits it is asked for and returns at once.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

const testKey = "sk-proj-TESTKEY-never-shown-0123456789abcdef"

// newTestProvider returns a Provider talking to f with an injected Sleep.
func newTestProvider(t *testing.T, f *fakeAPI, maxRetries int) (*Provider, *sleeper) {
	t.Helper()
	s := &sleeper{}
	p, err := New(Options{
		APIKey: testKey, BaseURL: f.srv.URL + "/v1", HTTPClient: f.srv.Client(),
		MaxRetries: maxRetries, Sleep: s.Sleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

// get walks a decoded JSON value: get(v, "messages", 0, "content").
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}
