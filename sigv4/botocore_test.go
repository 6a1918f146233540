package sigv4_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/sigv4"
)

// botocoreCase is one request for testdata/botocore_sign.py.
type botocoreCase struct {
	Name            string      `json:"name"`
	Target          string      `json:"target"`
	Method          string      `json:"method,omitempty"`
	Body            string      `json:"body,omitempty"`
	Headers         [][2]string `json:"headers,omitempty"`
	AccessKey       string      `json:"accessKey"`
	SecretKey       string      `json:"secretKey"`
	Token           string      `json:"token,omitempty"`
	Service         string      `json:"service,omitempty"`
	Region          string      `json:"region,omitempty"`
	S3              bool        `json:"s3,omitempty"`
	UnsignedPayload bool        `json:"unsignedPayload,omitempty"`
	TamperBody      *string     `json:"tamperBody,omitempty"`
}

// requirePython returns the python3 path, or skips the test (saying why)
// when python3 is not installed. The script exits 77 without botocore.
func requirePython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("skipping: python3 not found on PATH")
	}
	return py
}

const exitNoBotocore = 77

// localOnlyEnv is the environment minus AWS settings and proxies, so a
// child process talks only to 127.0.0.1 with the credentials a test gives.
func localOnlyEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		uk := strings.ToUpper(k)
		if strings.HasPrefix(uk, "AWS_") || strings.HasSuffix(uk, "_PROXY") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1"}, extra...)...)
}

func TestBotocoreSignedRequests(t *testing.T) {
	t.Parallel()
	py := requirePython(t)
	// botocore signs with the real clock, so the verifier uses it too.
	v := &sigv4.Verifier{Credentials: testStore(t), Service: service, Region: "us-east-1"}
	srv := startVerifyServer(t, v)

	wl := func(c botocoreCase) botocoreCase {
		if c.AccessKey == "" {
			c.AccessKey = workloadKeyID
		}
		if c.SecretKey == "" {
			c.SecretKey = workloadSecret
		}
		if c.Body == "" && c.Method == "" {
			c.Body = wlBody
		}
		return c
	}
	tampered := strings.Replace(wlBody, "servicenow", "hr-records", 1)
	cases := []struct {
		c    botocoreCase
		want error
	}{
		{c: wl(botocoreCase{Name: "valid", Target: "/identities/GetWorkloadAccessToken"})},
		{c: wl(botocoreCase{Name: "oauth2 token path", Target: "/identities/oauth2/token"})},
		{c: wl(botocoreCase{Name: "space and non-ASCII path", Target: "/a%20b/%C3%BC"})},
		// botocore sends the path as given but signs it with "." / ".."
		// and empty segments removed.
		{c: wl(botocoreCase{Name: "dot and empty segments", Target: "/identities//oauth2/./x/../token"})},
		// botocore signs the query pairs as sent, sorted, not re-encoded.
		{c: wl(botocoreCase{Name: "unsorted query", Target: "/q?b=2&a=%2F&a=1&c=x%20y&e="})},
		// (A lowercase escape such as %7e would fail here as it fails at
		// AWS: urllib3 uppercases it on the wire after botocore signed it.)
		{c: wl(botocoreCase{Name: "query not in AWS encoding", Target: "/q?list=a,b&x=%7E&y=1+2"})},
		// botocore collapses tabs as well as spaces in header values.
		{c: wl(botocoreCase{Name: "tabs and spaces in a header", Target: "/h", Headers: [][2]string{{"X-Custom", "a \t  b   c"}}})},
		{c: wl(botocoreCase{Name: "GET without body", Target: "/g", Method: "GET"})},
		{c: botocoreCase{Name: "temporary credential", Target: "/t", Body: "{}", AccessKey: tempKeyID, SecretKey: tempSecret, Token: tempToken}},
		{c: wl(botocoreCase{Name: "S3SigV4Auth adds x-amz-content-sha256", Target: "/s3", S3: true})},

		{c: wl(botocoreCase{Name: "wrong secret", Target: "/x", SecretKey: "wrong"}), want: sigv4.ErrSignatureMismatch},
		{c: wl(botocoreCase{Name: "body replaced after signing", Target: "/x", TamperBody: &tampered}), want: sigv4.ErrSignatureMismatch},
		{c: wl(botocoreCase{Name: "unknown key", Target: "/x", AccessKey: "AKIAUNKNOWN", SecretKey: "x"}), want: sigv4.ErrUnknownAccessKey},
		{c: wl(botocoreCase{Name: "wrong service", Target: "/x", Service: "sts"}), want: sigv4.ErrWrongService},
		{c: wl(botocoreCase{Name: "wrong region", Target: "/x", Region: "eu-west-1"}), want: sigv4.ErrWrongRegion},
		{c: wl(botocoreCase{Name: "unsigned payload", Target: "/x", UnsignedPayload: true}), want: sigv4.ErrUnsignedPayload},
		{c: botocoreCase{Name: "temporary key without token", Target: "/t", Body: "{}", AccessKey: tempKeyID, SecretKey: tempSecret}, want: sigv4.ErrInvalidSessionToken},
	}
	var in struct {
		Base  string         `json:"base"`
		Cases []botocoreCase `json:"cases"`
	}
	in.Base = srv.URL
	for _, tc := range cases {
		in.Cases = append(in.Cases, tc.c)
	}
	stdin, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "testdata/botocore_sign.py")
	cmd.Env = localOnlyEnv()
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) && ee.ExitCode() == exitNoBotocore {
		t.Skipf("skipping: %s", bytes.TrimSpace(stderr.Bytes()))
	}
	if err != nil {
		t.Fatalf("botocore_sign.py: %v\n%s", err, stderr.Bytes())
	}
	var results []struct {
		Name   string `json:"name"`
		Status int    `json:"status"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("decoding script output %q: %v", out, err)
	}
	status := map[string]int{}
	for _, r := range results {
		status[r.Name] = r.Status
	}

	for _, tc := range cases {
		t.Run(tc.c.Name, func(t *testing.T) {
			o := srv.outcome(t, tc.c.Name)
			if !errors.Is(o.err, tc.want) {
				t.Fatalf("Verify error = %v, want %v", o.err, tc.want)
			}
			wantStatus := http.StatusOK
			if tc.want != nil {
				wantStatus = http.StatusForbidden
			}
			if status[tc.c.Name] != wantStatus {
				t.Errorf("botocore got status %d, want %d", status[tc.c.Name], wantStatus)
			}
			if tc.want == nil && o.res.Principal == "" {
				t.Errorf("Result has no principal: %+v", o.res)
			}
		})
	}
}
