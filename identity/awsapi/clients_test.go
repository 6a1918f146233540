package awsapi_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity/awsapi"
)

// external runs an AWS client (the aws CLI, python3 with boto3) isolated
// from the machine's AWS settings: temp config and credentials files, no
// instance metadata, only the given credentials, talking to 127.0.0.1.
func (w *world) external(t *testing.T, k awsapi.AccessKey, extra map[string]string, name string, args ...string) (string, error) {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s is not installed", name)
	}
	bin = unshim(bin, name)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
		"AWS_ACCESS_KEY_ID=" + k.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + k.SecretAccessKey,
		"AWS_REGION=" + region, "AWS_DEFAULT_REGION=" + region,
		"ONBEHALF_IDENTITY_URL=" + w.url,
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		env = append(env, "PYENV_ROOT="+r)
	}
	for k, v := range extra {
		env = append(env, k+"="+v)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		out = append(out, ee.Stderr...)
	}
	return string(out), err
}

func TestBoto3GetsJanesTokenBOnBehalfOf(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	out, err := w.external(t, w.wl, map[string]string{
		"USER_TOKEN":     w.idp.TokenA(t, jane),
		"WORKLOAD_NAME":  workload,
		"OTHER_WORKLOAD": otherWorkload,
		"PROVIDER":       provider,
		"SCOPE":          entratest.ConnectorScope,
	}, "python3", "testdata/boto3_obo.py")
	if err != nil {
		if strings.Contains(out, "No module named 'boto3'") {
			t.Skip("boto3 is not installed")
		}
		t.Fatalf("boto3 script: %v\n%s", err, out)
	}
	var got struct {
		AccessToken, RequestID, OtherWorkload string
		OtherWorkloadStatus                   int
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("script output %.300q: %v", out, err)
	}
	if c := claims(t, got.AccessToken); c["aud"] != entra.DevConnectorClientID || c["preferred_username"] != jane {
		t.Errorf("Token B aud=%v user=%v, want %s for %s", c["aud"], c["preferred_username"], entra.DevConnectorClientID, jane)
	}
	if len(got.RequestID) != 36 {
		t.Errorf("boto3 saw request id %q, want the x-amzn-RequestId UUID", got.RequestID)
	}
	if got.OtherWorkload != "AccessDeniedException" || got.OtherWorkloadStatus != 403 {
		t.Errorf("another workload's token: boto3 got %q %d, want AccessDeniedException 403", got.OtherWorkload, got.OtherWorkloadStatus)
	}
}

var unshimmed sync.Map // name -> resolved path

// unshim resolves a pyenv shim to the interpreter's own script: the shim
// costs a second per call on a loaded machine, and the CLI tests make
// several calls.
func unshim(bin, name string) string {
	if !strings.Contains(bin, "/.pyenv/shims/") {
		return bin
	}
	if p, ok := unshimmed.Load(name); ok {
		return p.(string)
	}
	p := bin
	if out, err := exec.Command("pyenv", "which", name).Output(); err == nil {
		if real := strings.TrimSpace(string(out)); real != "" {
			p = real
		}
	}
	unshimmed.Store(name, p)
	return p
}
