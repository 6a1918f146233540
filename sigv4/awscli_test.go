package sigv4_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/sigv4"
)

// getWorkloadAccessToken answers the AgentCore data-plane operation the way
// the broker will: the CLI must reach it only with a verified signature.
func getWorkloadAccessToken(w http.ResponseWriter, r *http.Request, _ *sigv4.Result) {
	var in struct {
		WorkloadName string `json:"workloadName"`
	}
	if r.Method != http.MethodPost || r.URL.Path != "/identities/GetWorkloadAccessToken" {
		http.Error(w, "unexpected operation", http.StatusNotFound)
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.WorkloadName != cliWorkload {
		http.Error(w, "unexpected body", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"workloadAccessToken":"ok"}`))
}

// cliWorkload is the workload name the CLI sends (the API's model wants at
// least 3 characters, so the CLI itself refuses "x").
const cliWorkload = "servicenow-agent-workload"

// runAWSCLI runs `aws bedrock-agentcore get-workload-access-token` against
// url with only the given credentials in the environment: empty config and
// credentials files, no instance metadata, no retries, no proxy.
func runAWSCLI(t *testing.T, url string, env ...string) (stdout, stderr string, err error) {
	t.Helper()
	aws, lookErr := exec.LookPath("aws")
	if lookErr != nil {
		t.Skip("skipping: the aws CLI is not on PATH")
	}
	dir := t.TempDir()
	config, creds := filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{config, creds} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, "bedrock-agentcore", "get-workload-access-token",
		"--workload-name", cliWorkload, "--endpoint-url", url, "--region", "us-east-1", "--output", "json")
	cmd.Env = localOnlyEnv(append([]string{
		"AWS_CONFIG_FILE=" + config,
		"AWS_SHARED_CREDENTIALS_FILE=" + creds,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_MAX_ATTEMPTS=1",
	}, env...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// Two CLI runs only: each costs a Python start. Temporary keys and unknown
// keys are covered with botocore, the CLI's own signer, in one process.
func TestAWSCLICallsThroughTheVerifier(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		env           []string
		wantPrincipal string
		wantErr       error
		wantCLIError  string // AWS error type the CLI prints
	}{
		"workload key": {
			env:           []string{"AWS_ACCESS_KEY_ID=" + workloadKeyID, "AWS_SECRET_ACCESS_KEY=" + workloadSecret},
			wantPrincipal: workloadName,
		},
		"wrong secret": {
			env:     []string{"AWS_ACCESS_KEY_ID=" + workloadKeyID, "AWS_SECRET_ACCESS_KEY=not-the-secret"},
			wantErr: sigv4.ErrSignatureMismatch, wantCLIError: "InvalidSignatureException",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// The CLI signs with the real clock.
			v := &sigv4.Verifier{Credentials: testStore(t), Service: service, Region: "us-east-1"}
			srv := startVerifyServerWith(t, v, getWorkloadAccessToken)
			stdout, stderr, err := runAWSCLI(t, srv.URL, tc.env...)
			if srv.requests() == 0 {
				t.Fatalf("the CLI sent no request (exit %v): %s", err, stderr)
			}
			o := srv.outcome(t, "")
			if !errors.Is(o.err, tc.wantErr) {
				t.Fatalf("Verify error = %v, want %v (cli stderr: %s)", o.err, tc.wantErr, stderr)
			}
			if tc.wantErr != nil {
				var exit *exec.ExitError
				if !errors.As(err, &exit) || exit.ExitCode() == 0 {
					t.Fatalf("aws exited with %v, want a non-zero exit", err)
				}
				if !strings.Contains(stderr, tc.wantCLIError) {
					t.Errorf("aws stderr = %q, want it to name %s", stderr, tc.wantCLIError)
				}
				return
			}
			if err != nil {
				t.Fatalf("aws: %v\n%s", err, stderr)
			}
			var got map[string]string
			if err := json.Unmarshal([]byte(stdout), &got); err != nil || got["workloadAccessToken"] != "ok" || len(got) != 1 {
				t.Errorf("aws stdout = %q, want {\"workloadAccessToken\": \"ok\"}", stdout)
			}
			if o.res.Principal != tc.wantPrincipal {
				t.Errorf("Principal = %q, want %q", o.res.Principal, tc.wantPrincipal)
			}
		})
	}
}
