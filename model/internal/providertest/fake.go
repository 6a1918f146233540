package providertest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Reply is one scripted answer of the fake API.
type Reply struct {
	Status int               // 200 when 0
	Header map[string]string // response headers, after Options.Header
	Body   []byte            // written as is
	Abort  bool              // break the connection after Body
}

// Options shape every reply of a fake.
type Options struct {
	// Header is set on every reply (a content type, a request id) before
	// the reply's own Header.
	Header map[string]string
	// Unscripted answers a request beyond the script (which also fails the
	// test); a bare 500 when zero.
	Unscripted Reply
}

// Request is one request the fake received.
type Request struct {
	Path   string // escaped, as sent
	Header http.Header
	Raw    []byte
	Body   map[string]any // Raw decoded; the test fails when it is not JSON
}

// Fake is a local API on 127.0.0.1 that plays its replies in order.
type Fake struct {
	t       *testing.T
	srv     *httptest.Server
	opts    Options
	mu      sync.Mutex
	replies []Reply
	reqs    []Request
}

// Start starts a Fake that plays replies; it stops when t ends.
func Start(t *testing.T, opts Options, replies ...Reply) *Fake {
	t.Helper()
	f := &Fake{t: t, opts: opts, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the fake's root, e.g. http://127.0.0.1:41234.
func (f *Fake) URL() string { return f.srv.URL }

// Client is an *http.Client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// Close stops the fake now: later calls find nothing listening.
func (f *Fake) Close() { f.srv.Close() }

// Requests are the requests received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.reqs...)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, Request{Path: r.URL.EscapedPath(), Header: r.Header.Clone(), Raw: raw, Body: body})
	if len(f.replies) == 0 {
		n := len(f.reqs)
		f.mu.Unlock()
		f.t.Errorf("unexpected request %d", n)
		rep := f.opts.Unscripted
		if rep.Status == 0 {
			rep.Status = http.StatusInternalServerError
		}
		f.write(w, rep)
		return
	}
	rep := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()
	f.write(w, rep)
}

func (f *Fake) write(w http.ResponseWriter, rep Reply) {
	for k, v := range f.opts.Header {
		w.Header().Set(k, v)
	}
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(rep.Body)
	if rep.Abort {
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the client sees the connection drop mid-stream
	}
}

// Testdata is the recorded transcript testdata/name of the package under
// test.
func Testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Aborted is rep with its connection broken after the body.
func Aborted(rep Reply) Reply {
	rep.Abort = true
	return rep
}
