package sigv4

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testKeyID  = "AKIDEXAMPLEINTERNAL1"
	testSecret = "internal-test-secret-0123456789abcdefgh"
	testBody   = `{"workloadName":"w-1"}`
)

func internalVerifier(t *testing.T, now time.Time) *Verifier {
	t.Helper()
	st, err := NewStaticStore(Credential{AccessKeyID: testKeyID, SecretAccessKey: testSecret, Principal: "p"})
	if err != nil {
		t.Fatal(err)
	}
	return &Verifier{Credentials: st, Service: "bedrock-agentcore", Now: func() time.Time { return now }}
}

func signed(t *testing.T, secret, region string, now time.Time) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/identities/GetWorkloadAccessToken", strings.NewReader(testBody))
	sum := sha256.Sum256([]byte(testBody))
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "bedrock-agentcore", region, now); err != nil {
		t.Fatal(err)
	}
	return r
}

// Only a signing key that verified a request is cached: requests with
// bad signatures (anyone who knows an access key id can send them, in any
// region) never fill the cache.
func TestSigningKeyCacheKeepsOnlyKeysThatVerified(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	v := internalVerifier(t, now)
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-1"} {
		if _, err := v.Verify(signed(t, "not-the-secret-at-all-0123456789", region, now)); err != ErrSignatureMismatch {
			t.Fatalf("bad signature in %s: %v, want ErrSignatureMismatch", region, err)
		}
	}
	if n := len(v.keys.m); n != 0 {
		t.Fatalf("%d signing keys cached after only bad signatures, want 0", n)
	}
	for range 2 {
		if _, err := v.Verify(signed(t, testSecret, "us-east-1", now)); err != nil {
			t.Fatalf("good signature: %v", err)
		}
	}
	if n := len(v.keys.m); n != 1 {
		t.Errorf("%d signing keys cached after good signatures in one scope, want 1", n)
	}
}

// A declared Content-Length reserves at most presizeLimit before the body
// arrives: a caller that declares 512 KiB and sends 2 bytes costs little.
func TestDeclaredLengthDoesNotReserveAHugeBuffer(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/x", strings.NewReader("{}"))
	r.ContentLength = 512 << 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, body, err := hashBody(r, 1<<20)
	runtime.ReadMemStats(&after)
	if err != nil || string(body) != "{}" {
		t.Fatalf("hashBody = %q, %v", body, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 2*presizeLimit {
		t.Errorf("reading a 2-byte body declared as 512 KiB allocated %d bytes, want under %d", grew, 2*presizeLimit)
	}
}
