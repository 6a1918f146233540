package sigv4_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/onbehalf/onbehalf/sigv4"
)

// signedRequest is a server-side request (as a handler sees it) signed by
// the Go SDK with the workload key at signingTime.
func signedRequest(t *testing.T) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/identities/GetWorkloadAccessToken", strings.NewReader(wlBody))
	creds := aws.Credentials{AccessKeyID: workloadKeyID, SecretAccessKey: workloadSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sha256Hex(wlBody), service, "us-east-1", signingTime); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewStaticStoreReportsEveryProblem(t *testing.T) {
	_, err := sigv4.NewStaticStore(
		sigv4.Credential{AccessKeyID: "", SecretAccessKey: "secret-zero", Principal: "p"},
		sigv4.Credential{AccessKeyID: "A", SecretAccessKey: "", Principal: "p"},
		sigv4.Credential{AccessKeyID: "B", SecretAccessKey: "secret-b", Principal: ""},
		sigv4.Credential{AccessKeyID: "C", SecretAccessKey: "secret-c1", Principal: "p"},
		sigv4.Credential{AccessKeyID: "C", SecretAccessKey: "secret-c2", Principal: "q"},
	)
	if err == nil {
		t.Fatal("NewStaticStore accepted invalid credentials")
	}
	for _, want := range []string{"credential 0: empty AccessKeyID", `"A": empty SecretAccessKey`, `"B": empty Principal`, `"C": duplicate AccessKeyID`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not report %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret-") {
		t.Errorf("error %q echoes a secret", err)
	}
}

func TestStaticStoreLookupUnknownKey(t *testing.T) {
	_, err := testStore(t).Lookup(context.Background(), "AKIANOPE")
	if !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Fatalf("Lookup error = %v, want ErrUnknownAccessKey", err)
	}
}

func TestVerifyRejectsIncompleteVerifier(t *testing.T) {
	for name, v := range map[string]*sigv4.Verifier{
		"no credentials":    {Service: service},
		"no service":        {Credentials: testStore(t)},
		"negative skew":     {Credentials: testStore(t), Service: service, MaxSkew: -1},
		"negative max body": {Credentials: testStore(t), Service: service, MaxBodyBytes: -1},
	} {
		_, err := v.Verify(signedRequest(t))
		if err == nil {
			t.Fatalf("%s: Verify succeeded", name)
		}
		if status, typ := sigv4.ErrorStatus(err); status != http.StatusInternalServerError || typ != "InternalServerException" {
			t.Errorf("%s: ErrorStatus(%v) = %d %s, want 500 InternalServerException", name, err, status, typ)
		}
	}
}

// storeFunc adapts a function to CredentialStore.
type storeFunc func(ctx context.Context, id string) (sigv4.Credential, error)

func (f storeFunc) Lookup(ctx context.Context, id string) (sigv4.Credential, error) {
	return f(ctx, id)
}

func TestStoreFailureIsInternalAndNotEchoed(t *testing.T) {
	dbErr := errors.New("dial postgres://broker:hunter2@db: connection refused")
	v := newVerifier(t)
	v.Credentials = storeFunc(func(context.Context, string) (sigv4.Credential, error) { return sigv4.Credential{}, dbErr })
	_, err := v.Verify(signedRequest(t))
	if !errors.Is(err, dbErr) {
		t.Fatalf("Verify error = %v, want it to wrap the store's error", err)
	}
	w := httptest.NewRecorder()
	sigv4.WriteError(w, nil, err)
	if w.Code != http.StatusInternalServerError || strings.Contains(w.Body.String(), "hunter2") {
		t.Errorf("WriteError wrote %d %q, want 500 without the store's error text", w.Code, w.Body)
	}
}

func TestStoreReturningAnotherKeyIsRefused(t *testing.T) {
	v := newVerifier(t)
	v.Credentials = storeFunc(func(context.Context, string) (sigv4.Credential, error) {
		return sigv4.Credential{AccessKeyID: adminKeyID, SecretAccessKey: workloadSecret, Principal: "admin"}, nil
	})
	if _, err := v.Verify(signedRequest(t)); !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Fatalf("Verify error = %v, want ErrUnknownAccessKey", err)
	}
}

func TestVerifyRestoresBodyOnSuccess(t *testing.T) {
	r := signedRequest(t)
	if _, err := newVerifier(t).Verify(r); err != nil {
		t.Fatal(err)
	}
	var got struct{ WorkloadName string }
	if err := json.NewDecoder(r.Body).Decode(&got); err != nil || got.WorkloadName != "servicenow-agent-workload" {
		t.Errorf("body after Verify decodes to %+v, %v; want the original body", got, err)
	}
}

func TestResultFromEmptyContext(t *testing.T) {
	if res, ok := sigv4.ResultFrom(context.Background()); ok || res != nil {
		t.Errorf("ResultFrom(empty) = %v, %v; want nil, false", res, ok)
	}
}

func TestWriteErrorSpeaksAWSRestJSON(t *testing.T) {
	cases := map[error]struct {
		status int
		typ    string
	}{
		sigv4.ErrMissingAuth:         {403, "MissingAuthenticationTokenException"},
		sigv4.ErrUnknownAccessKey:    {403, "UnrecognizedClientException"},
		sigv4.ErrInvalidSessionToken: {403, "UnrecognizedClientException"},
		sigv4.ErrSignatureMismatch:   {403, "InvalidSignatureException"},
		sigv4.ErrRequestExpired:      {403, "InvalidSignatureException"},
		sigv4.ErrWrongRegion:         {403, "InvalidSignatureException"},
		sigv4.ErrMalformedAuth:       {403, "IncompleteSignatureException"},
		sigv4.ErrUnsignedHeader:      {403, "IncompleteSignatureException"},
		sigv4.ErrBodyTooLarge:        {413, "ValidationException"},
		sigv4.ErrBodyUnreadable:      {400, "ValidationException"},
	}
	for sentinel, want := range cases {
		w := httptest.NewRecorder()
		sigv4.WriteError(w, nil, errors.Join(sentinel)) // wrapped
		var body struct{ Message string }
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%v: body %q is not JSON: %v", sentinel, w.Body, err)
		}
		if w.Code != want.status || w.Header().Get("X-Amzn-ErrorType") != want.typ || body.Message != sentinel.Error() {
			t.Errorf("%v: wrote %d %s %q, want %d %s %q", sentinel, w.Code, w.Header().Get("X-Amzn-ErrorType"), body.Message, want.status, want.typ, sentinel.Error())
		}
	}
}

// swappableStore answers with whatever credential it holds now.
type swappableStore struct{ cred sigv4.Credential }

func (s *swappableStore) Lookup(_ context.Context, id string) (sigv4.Credential, error) {
	if id != s.cred.AccessKeyID {
		return sigv4.Credential{}, sigv4.ErrUnknownAccessKey
	}
	return s.cred, nil
}

// The Verifier keeps derived signing keys, but a key whose secret changed
// (an access key re-issued under the same id) is not verified with the
// old secret's key.
func TestVerifyUsesTheCurrentSecretAfterItChanges(t *testing.T) {
	st := &swappableStore{cred: sigv4.Credential{AccessKeyID: workloadKeyID, SecretAccessKey: workloadSecret, Principal: "wl"}}
	v := &sigv4.Verifier{Credentials: st, Service: service, Now: fixedClock(signingTime)}
	if _, err := v.Verify(signedRequest(t)); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if _, err := v.Verify(signedRequest(t)); err != nil {
		t.Fatalf("Verify with the cached key: %v", err)
	}
	st.cred.SecretAccessKey = "a-different-secret"
	if _, err := v.Verify(signedRequest(t)); !errors.Is(err, sigv4.ErrSignatureMismatch) {
		t.Fatalf("Verify after the secret changed = %v, want ErrSignatureMismatch", err)
	}
	st.cred.SecretAccessKey = workloadSecret
	if _, err := v.Verify(signedRequest(t)); err != nil {
		t.Fatalf("Verify after the secret changed back: %v", err)
	}
}

// A body cut short (the client declared more than it sent, then stopped)
// is the client's error: 400 ValidationException, not a 500.
func TestBodyCutShortIsAClientError(t *testing.T) {
	srv := startVerifyServer(t, newVerifier(t))
	r := signedRequest(t)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nX-Test-Case: cut\r\n", r.URL.RequestURI(), r.Host, len(wlBody)+100)
	for k, vs := range r.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n" + wlBody)
	if _, err := conn.Write([]byte(head.String())); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a cut-short body: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" {
		t.Errorf("cut-short body: %d %s, want 400 ValidationException", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	if o := srv.outcome(t, "cut"); !errors.Is(o.err, sigv4.ErrBodyUnreadable) {
		t.Errorf("verifier error = %v, want ErrBodyUnreadable", o.err)
	}
}
