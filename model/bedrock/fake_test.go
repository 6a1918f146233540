package bedrock

import (
	"bufio"
	"bytes"
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

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// reply is one scripted answer of the fake Bedrock runtime.
type reply struct {
	status int               // 200 when 0
	header map[string]string // extra response headers
	body   []byte            // written as is
	abort  bool              // break the connection after body
}

// streamReply is a ConverseStream reply: testdata/name (JSON lines) encoded
// as event-stream frames.
func streamReply(t *testing.T, name string) reply {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var line struct {
			Event     string          `json:"event"`
			Exception string          `json:"exception"`
			Payload   json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var msg eventstream.Message
		if line.Exception != "" {
			msg.Headers.Set(":message-type", eventstream.StringValue("exception"))
			msg.Headers.Set(":exception-type", eventstream.StringValue(line.Exception))
		} else {
			msg.Headers.Set(":message-type", eventstream.StringValue("event"))
			msg.Headers.Set(":event-type", eventstream.StringValue(line.Event))
		}
		msg.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		msg.Payload = line.Payload
		if err := enc.Encode(&buf, msg); err != nil {
			t.Fatal(err)
		}
	}
	return reply{header: map[string]string{"Content-Type": "application/vnd.amazon.eventstream"}, body: buf.Bytes()}
}

// jsonReply is a Converse reply with testdata/name as body.
func jsonReply(t *testing.T, name string) reply {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return reply{header: map[string]string{"Content-Type": "application/json"}, body: raw}
}

// apiError is an error reply as Bedrock sends it (restJson1).
func apiError(status int, code, msg string) reply {
	body, _ := json.Marshal(map[string]string{"message": msg})
	return reply{status: status, body: body, header: map[string]string{
		"Content-Type":     "application/json",
		"X-Amzn-ErrorType": code + ":http://internal.amazon.com/coral/com.amazon.bedrock/",
	}}
}

// recorded is one request the fake received.
type recorded struct {
	path   string // escaped, as sent
	header http.Header
	raw    []byte
	body   map[string]any
}

// fakeRuntime is a local Bedrock runtime that plays replies in order.
type fakeRuntime struct {
	t       *testing.T
	srv     *httptest.Server
	mu      sync.Mutex
	replies []reply
	reqs    []recorded
}

func startFake(t *testing.T, replies ...reply) *fakeRuntime {
	t.Helper()
	f := &fakeRuntime{t: t, replies: replies}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

const requestID = "5d5e1c1b-3f4a-4c43-9a55-0a8e4d2f7b61"

func (f *fakeRuntime) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		f.t.Errorf("request body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{path: r.URL.EscapedPath(), header: r.Header.Clone(), raw: raw, body: body})
	if len(f.replies) == 0 {
		f.mu.Unlock()
		f.t.Errorf("unexpected request %d", len(f.reqs))
		w.Header().Set("X-Amzn-ErrorType", "InternalServerException")
		http.Error(w, `{"message":"no reply scripted"}`, 500)
		return
	}
	rep := f.replies[0]
	f.replies = f.replies[1:]
	f.mu.Unlock()

	w.Header().Set("X-Amzn-Requestid", requestID)
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	status := rep.status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(rep.body)
	if rep.abort {
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // the client sees the connection drop mid-stream
	}
}

func (f *fakeRuntime) requests() []recorded {
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

var testCreds = &Credentials{
	AccessKeyID:     "AKIDONBEHALFTEST",
	SecretAccessKey: "SECRETwJalrXUtnFEMIK7MDENGbPxRfiCYTESTKEY",
	SessionToken:    "SESSIONTOKENIQoJb3JpZ2luX2VjEBAaCXVzLWVhc3QtMSJH",
}

// newTestProvider returns a Provider talking to f with static credentials
// and an injected Sleep: nothing leaves 127.0.0.1.
func newTestProvider(t *testing.T, f *fakeRuntime, maxRetries int) (*Provider, *sleeper) {
	t.Helper()
	s := &sleeper{}
	p, err := New(Options{
		Region: "us-east-1", BaseURL: f.srv.URL, Credentials: testCreds,
		HTTPClient: f.srv.Client(), MaxRetries: maxRetries, Sleep: s.Sleep,
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
