package sigv4_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/sigv4"
)

// Test keys. The secrets contain '/' and '+' like real AWS secrets.
const (
	workloadKeyID  = "AKIAONBEHALFWORKLOAD"
	workloadSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYworkload"
	workloadName   = "workload:servicenow-agent-workload"
	adminKeyID     = "AKIAONBEHALFADMIN01"
	adminSecret    = "admin/secret+value/for-tests"
	tempKeyID      = "ASIAONBEHALFTEMP001"
	tempSecret     = "temporary/secret+value"
	tempToken      = "FwoGZXIvYXdzEPT//////////session+token/opaque=="
	service        = "bedrock-agentcore"
)

func testStore(t testing.TB) *sigv4.StaticStore {
	t.Helper()
	s, err := sigv4.NewStaticStore(
		sigv4.Credential{AccessKeyID: workloadKeyID, SecretAccessKey: workloadSecret, Principal: workloadName},
		sigv4.Credential{AccessKeyID: adminKeyID, SecretAccessKey: adminSecret, Principal: "admin"},
		sigv4.Credential{AccessKeyID: tempKeyID, SecretAccessKey: tempSecret, SessionToken: tempToken, Principal: "workload:temporary"},
	)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// outcome is what the server saw for one request: the Verify error, or
// the Result and the body the handler read after verification.
type outcome struct {
	err  error
	res  *sigv4.Result
	body string
}

// verifyServer is a real HTTP server on 127.0.0.1 whose every request goes
// through Verifier.Middleware. Outcomes are recorded by the unsigned
// X-Test-Case header so a test can assert which error each request got.
type verifyServer struct {
	*httptest.Server
	mu       sync.Mutex
	outcomes map[string]outcome
}

func startVerifyServer(t testing.TB, v *sigv4.Verifier) *verifyServer {
	t.Helper()
	return startVerifyServerWith(t, v, func(w http.ResponseWriter, r *http.Request, res *sigv4.Result) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"principal": res.Principal})
	})
}

// startVerifyServerWith is startVerifyServer whose verified requests are
// answered by reply (after the body has been read and recorded).
func startVerifyServerWith(t testing.TB, v *sigv4.Verifier, reply func(w http.ResponseWriter, r *http.Request, res *sigv4.Result)) *verifyServer {
	t.Helper()
	s := &verifyServer{outcomes: map[string]outcome{}}
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, found := sigv4.ResultFrom(r.Context())
		if !found {
			http.Error(w, "no result in context", http.StatusInternalServerError)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "reading body", http.StatusInternalServerError)
			return
		}
		s.record(r, outcome{res: res, body: string(body)})
		r.Body = io.NopCloser(bytes.NewReader(body))
		reply(w, r, res)
	})
	onError := func(w http.ResponseWriter, r *http.Request, err error) {
		s.record(r, outcome{err: err})
		sigv4.WriteError(w, r, err)
	}
	s.Server = httptest.NewServer(v.Middleware(ok, onError))
	t.Cleanup(s.Close)
	return s
}

func (s *verifyServer) record(r *http.Request, o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outcomes[r.Header.Get("X-Test-Case")] = o
}

func (s *verifyServer) outcome(t testing.TB, name string) outcome {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.outcomes[name]
	if !ok {
		t.Fatalf("server saw no request for case %q", name)
	}
	return o
}

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// requests is how many requests the server has recorded.
func (s *verifyServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.outcomes)
}
