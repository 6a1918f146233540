package sigv4_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/onbehalf/onbehalf/sigv4"
)

// A broker endpoint that only signed callers reach, called by a client
// signing with the AWS SDK for Go v2.
func ExampleVerifier_Middleware() {
	store, err := sigv4.NewStaticStore(sigv4.Credential{
		AccessKeyID:     "AKIAEXAMPLEWORKLOAD",
		SecretAccessKey: "example/secret+key",
		Principal:       "workload:servicenow-agent-workload",
	})
	if err != nil {
		panic(err)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	v := &sigv4.Verifier{
		Credentials: store,
		Service:     "bedrock-agentcore",
		Region:      "us-east-1",
		Now:         func() time.Time { return now },
	}
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := sigv4.ResultFrom(r.Context())
		fmt.Fprintf(w, "hello %s", res.Principal)
	})
	srv := httptest.NewServer(v.Middleware(api, nil))
	defer srv.Close()

	call := func(secret string) {
		body := `{"workloadName":"servicenow-agent-workload"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/identities/GetWorkloadAccessToken", strings.NewReader(body))
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: "AKIAEXAMPLEWORKLOAD", SecretAccessKey: secret}
		_ = v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "bedrock-agentcore", "us-east-1", now)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(out))
	}
	call("example/secret+key")
	call("a wrong secret")
	// Output:
	// 200  hello workload:servicenow-agent-workload
	// 403 InvalidSignatureException {"message":"sigv4: signature does not match"}
}
