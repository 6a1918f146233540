package sigv4_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkVerify measures one Verify of a typical broker call: a Go SDK
// signed POST with a small JSON body and the headers the SDK sends.
func BenchmarkVerify(b *testing.B) {
	v := newVerifier(b)
	body := `{"workloadIdentityToken":"` + strings.Repeat("t", 300) + `","resourceCredentialProviderName":"EntraIdServiceNow","scopes":["api://x/user_impersonation"],"oauth2Flow":"ON_BEHALF_OF_TOKEN_EXCHANGE"}`
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8081/identities/oauth2/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Amz-Sdk-Invocation-Id", "8c1e9f3a-0b5e-4c55-9c2e-6a1d1f0b8e21")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	creds := aws.Credentials{AccessKeyID: workloadKeyID, SecretAccessKey: workloadSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, sha256Hex(body), service, "us-east-1", signingTime); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		r.Body = io.NopCloser(strings.NewReader(body))
		res, err := v.Verify(r)
		if err != nil || res.Principal != workloadName {
			b.Fatalf("Verify = %v, %v", res, err)
		}
	}
}
