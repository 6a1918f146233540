package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/stack"
)

// The Go example agent (examples/servicenow-agent) runs as its own process,
// behind onbehalf's runtime, with only its workload's access key: it gets
// Jane's ServiceNow token from the broker's AgentCore API, never Token A.
func TestExampleAgentRunsBehindTheRuntime(t *testing.T) {
	d, _ := startTestDev(t)
	bin := filepath.Join(t.TempDir(), "servicenow-agent")
	if out, err := exec.Command("go", "build", "-o", bin, "../../examples/servicenow-agent").CombinedOutput(); err != nil {
		t.Fatalf("go build the example: %v\n%s", err, out)
	}
	agentAddr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"LISTEN=" + agentAddr,
		"ONBEHALF_IDENTITY_URL=" + d.Env[envIdentityURL],
		"AWS_ACCESS_KEY_ID=" + d.Env[envWorkloadKeyID], "AWS_SECRET_ACCESS_KEY=" + d.Env[envWorkloadSecret],
		"AWS_REGION=" + d.Env[envAWSRegion], "AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"SNOW_INSTANCE_URL=" + d.Env[envServiceNowURL],
		"SNOW_SCOPES=api://" + devConnector + "/user_impersonation",
		"MODEL_PROVIDER=offline",
	}
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	waitForPing(t, "http://"+agentAddr+"/ping")

	// A runtime whose agent is that container: the dev configuration with
	// agents[0].endpoint set, on the same store and keys.
	cfg, err := (&configFlags{dataDir: d.Env[envDataDir]}).load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Runtime.Listen, cfg.Identity.Listen, cfg.Runtime.UI = "127.0.0.1:0", "127.0.0.1:0", nil
	cfg.Runtime.Agents[0].Endpoint = "http://" + agentAddr
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	front, err := stack.Start(context.Background(), cfg, stack.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer front.Close()

	jane := tokenFor(t, d, "jane.smith@company.com")
	out, errOut, err := run(t, "invoke", "--url", front.RuntimeURL, "--bearer-token", jane, "Show me 5 incidents assigned to me")
	if err != nil {
		t.Fatalf("invoke: %v\nstderr: %s\nagent logs: %s", err, errOut, logs.String())
	}
	want := janesFive
	if got := rows(out); !slices.Equal(got, want) {
		t.Errorf("answer rows = %q, want %q\n%s", got, want, out)
	}
	assertNoSecretsIn(t, logs.String(), d, jane)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitForPing polls url until it answers 200, for at most 30 seconds.
func waitForPing(t *testing.T, url string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer", url)
}
