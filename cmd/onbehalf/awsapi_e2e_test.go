package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/smithy-go"
)

func devAWSConfig(env devEnv, idKey, secretKey string) aws.Config {
	return aws.Config{
		Region:           env[envAWSRegion],
		Credentials:      credentials.NewStaticCredentialsProvider(env[idKey], env[secretKey], ""),
		HTTPClient:       &http.Client{},
		RetryMaxAttempts: 1,
	}
}

func jwtClaims(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func awsCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestDevEnvCarriesIdentityAPIKeysThatSurviveARestart(t *testing.T) {
	d, _ := startTestDev(t)
	dir := d.Env[envDataDir]
	env, err := readDevEnv(filepath.Join(dir, "dev.env"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{envAWSRegion: "us-east-1", envAWSDefaultRegion: "us-east-1", envWorkloadName: "servicenow-agent-workload"} {
		if env[k] != want {
			t.Errorf("dev.env %s=%q, want %q", k, env[k], want)
		}
	}
	idRe := regexp.MustCompile(`^AKOB[A-Z2-7]{16}$`)
	for _, k := range []string{envAWSAccessKeyID, envWorkloadKeyID} {
		if !idRe.MatchString(env[k]) {
			t.Errorf("dev.env %s=%q is not an access key id", k, env[k])
		}
	}
	for _, k := range []string{envAWSSecretAccessKey, envWorkloadSecret} {
		if len(env[k]) != 40 {
			t.Errorf("dev.env %s has %d characters, want a 40-character secret", k, len(env[k]))
		}
	}
	if env[envAWSAccessKeyID] == env[envWorkloadKeyID] {
		t.Error("the admin and the workload key are the same key")
	}

	// Stop and start on the same data dir: the same keys, still accepted.
	d.Close()
	d2, err := startDev(context.Background(), devOptions{DataDir: dir, RuntimeAddr: "127.0.0.1:0", IdentityAddr: "127.0.0.1:0", EntraAddr: "127.0.0.1:0", ServiceNowAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	defer d2.Close()
	for _, k := range []string{envAWSAccessKeyID, envAWSSecretAccessKey, envWorkloadKeyID, envWorkloadSecret} {
		if d2.Env[k] != env[k] {
			t.Errorf("%s changed across a restart", k)
		}
	}
	dp := bedrockagentcore.NewFromConfig(devAWSConfig(d2.Env, envWorkloadKeyID, envWorkloadSecret), func(o *bedrockagentcore.Options) {
		o.BaseEndpoint = aws.String(d2.Env[envIdentityURL])
	})
	jane := tokenFor(t, d2, "jane.smith@company.com")
	if _, err := dp.GetWorkloadAccessTokenForJWT(context.Background(), &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(devWorkload), UserToken: aws.String(jane),
	}); err != nil {
		t.Errorf("the workload key from before the restart is refused: %v", err)
	}
}

func TestDevWorkloadKeyGetsJanesTokenBButNoControlPlane(t *testing.T) {
	d, logs := startTestDev(t)
	ctx := context.Background()
	url := d.Env[envIdentityURL]
	dp := bedrockagentcore.NewFromConfig(devAWSConfig(d.Env, envWorkloadKeyID, envWorkloadSecret), func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(url) })
	jane := tokenFor(t, d, "jane.smith@company.com")
	wat, err := dp.GetWorkloadAccessTokenForJWT(ctx, &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(d.Env[envWorkloadName]), UserToken: aws.String(jane),
	})
	if err != nil {
		t.Fatalf("GetWorkloadAccessTokenForJWT: %v", err)
	}
	out, err := dp.GetResourceOauth2Token(ctx, &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          wat.WorkloadAccessToken,
		ResourceCredentialProviderName: aws.String("EntraIdServiceNow"),
		Scopes:                         []string{"api://" + d.Env[envConnectorID] + "/user_impersonation"},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	if err != nil {
		t.Fatalf("GetResourceOauth2Token: %v", err)
	}
	tokenB := aws.ToString(out.AccessToken)
	if c := jwtClaims(t, tokenB); c["aud"] != d.Env[envConnectorID] || c["preferred_username"] != "jane.smith@company.com" {
		t.Errorf("Token B aud=%v user=%v, want the connector %s for Jane", c["aud"], c["preferred_username"], d.Env[envConnectorID])
	}

	cp := bedrockagentcorecontrol.NewFromConfig(devAWSConfig(d.Env, envWorkloadKeyID, envWorkloadSecret), func(o *bedrockagentcorecontrol.Options) { o.BaseEndpoint = aws.String(url) })
	_, err = cp.ListWorkloadIdentities(ctx, &bedrockagentcorecontrol.ListWorkloadIdentitiesInput{})
	if code := awsCode(err); code != "AccessDeniedException" {
		t.Errorf("workload key on the control plane: got %v, want AccessDeniedException", err)
	}
	assertNoSecretsIn(t, logs.String(), d, jane, tokenB, aws.ToString(wat.WorkloadAccessToken))
	for _, k := range []string{envAWSSecretAccessKey, envWorkloadSecret} {
		if strings.Contains(logs.String(), d.Env[k]) {
			t.Errorf("logs contain %s", k)
		}
	}
}

var exportRe = regexp.MustCompile(`(?m)^export (AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY)='([^']+)'$`)

func TestIdentityKeysCreatePrintsAKeyForThatWorkloadOnly(t *testing.T) {
	d, _ := startTestDev(t)
	ctx := context.Background()
	dir := d.Env[envDataDir]
	if _, _, err := run(t, "identity", "keys", "create", "--data-dir", dir); err == nil {
		t.Error("create without --admin or --workload succeeded")
	}
	out, errOut, err := run(t, "identity", "keys", "create", "--workload", "another-workload", "--data-dir", dir)
	if err != nil {
		t.Fatalf("identity keys create: %v\n%s", err, errOut)
	}
	creds := map[string]string{}
	for _, m := range exportRe.FindAllStringSubmatch(out, -1) {
		creds[m[1]] = m[2]
	}
	if len(creds) != 2 || !strings.Contains(errOut, "shown only now") {
		t.Fatalf("output %q / %q does not hold one key id and secret with a warning", out, errOut)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(creds["AWS_ACCESS_KEY_ID"], creds["AWS_SECRET_ACCESS_KEY"], ""), RetryMaxAttempts: 1}
	dp := bedrockagentcore.NewFromConfig(cfg, func(o *bedrockagentcore.Options) { o.BaseEndpoint = aws.String(d.Env[envIdentityURL]) })
	_, err = dp.GetWorkloadAccessTokenForJWT(ctx, &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(devWorkload), UserToken: aws.String(tokenFor(t, d, "jane.smith@company.com")),
	})
	if code := awsCode(err); code != "AccessDeniedException" {
		t.Errorf("another-workload's key asking for %s: got %v, want AccessDeniedException", devWorkload, err)
	}

	// list shows the new key beside dev.env's admin and workload keys,
	// never a secret.
	list, _, err := run(t, "identity", "keys", "list", "--data-dir", dir)
	if err != nil {
		t.Fatalf("identity keys list: %v", err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ACCESS KEY ID\s+GRANT\s+CREATED$`),
		regexp.MustCompile(`(?m)^` + creds["AWS_ACCESS_KEY_ID"] + `\s+workload another-workload\s+\d{4}-\d\d-\d\dT`),
		regexp.MustCompile(`(?m)^` + d.Env["AWS_ACCESS_KEY_ID"] + `\s+admin\s`),
		regexp.MustCompile(`(?m)^` + d.Env["WORKLOAD_AWS_ACCESS_KEY_ID"] + `\s+workload ` + devWorkload + `\s`),
	} {
		if !want.MatchString(list) {
			t.Errorf("identity keys list does not match %s:\n%s", want, list)
		}
	}
	for _, secret := range []string{creds["AWS_SECRET_ACCESS_KEY"], d.Env["AWS_SECRET_ACCESS_KEY"], d.Env["WORKLOAD_AWS_SECRET_ACCESS_KEY"]} {
		if secret == "" || strings.Contains(list, secret) {
			t.Errorf("identity keys list shows a secret (or the test lost one)")
		}
	}

	if out, _, err := run(t, "identity", "keys", "revoke", creds["AWS_ACCESS_KEY_ID"], "--data-dir", dir); err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("revoke: %v %q", err, out)
	}
	if _, _, err := run(t, "identity", "keys", "revoke", creds["AWS_ACCESS_KEY_ID"], "--data-dir", dir); err == nil {
		t.Error("revoking an unknown key succeeded")
	}
	if list, _, _ := run(t, "identity", "keys", "list", "--data-dir", dir); strings.Contains(list, creds["AWS_ACCESS_KEY_ID"]) {
		t.Errorf("a revoked key is still listed:\n%s", list)
	}
}

// awsCLI runs the real AWS CLI isolated from the machine's AWS settings,
// with the dev stack's settings from dev.env plus extra.
func awsCLI(t *testing.T, env devEnv, extra map[string]string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	home := t.TempDir()
	vars := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true", "NO_PROXY=127.0.0.1", "no_proxy=127.0.0.1",
	}
	if r := os.Getenv("PYENV_ROOT"); r != "" {
		vars = append(vars, "PYENV_ROOT="+r)
	}
	for k, v := range env {
		vars = append(vars, k+"="+v)
	}
	for k, v := range extra {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = vars
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestSourcedDevEnvDrivesTheAWSCLI(t *testing.T) {
	t.Parallel() // the CLI is slow to start; overlap it with the other tests
	d, _ := startTestDev(t)
	env, err := readDevEnv(filepath.Join(d.Env[envDataDir], "dev.env"))
	if err != nil {
		t.Fatal(err)
	}
	jane := tokenFor(t, d, "jane.smith@company.com")
	out, err := awsCLI(t, env, map[string]string{
		"AWS_ACCESS_KEY_ID": env[envWorkloadKeyID], "AWS_SECRET_ACCESS_KEY": env[envWorkloadSecret],
	}, "bedrock-agentcore", "get-workload-access-token-for-jwt",
		"--workload-name", env[envWorkloadName], "--user-token", jane,
		"--endpoint-url", env[envIdentityURL], "--output", "json")
	if err != nil {
		t.Fatalf("aws bedrock-agentcore get-workload-access-token-for-jwt: %v\n%s", err, out)
	}
	var got struct{ WorkloadAccessToken string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || !strings.HasPrefix(got.WorkloadAccessToken, "obwat1.") {
		t.Errorf("aws CLI printed %.200q, want {\"workloadAccessToken\": \"obwat1.…\"}", out)
	}

	// With dev.env's own (admin) keys the article's control plane answers:
	// the dev provider keeps the article's name.
	out, err = awsCLI(t, env, nil, "bedrock-agentcore-control", "get-oauth2-credential-provider",
		"--name", "EntraIdServiceNow", "--endpoint-url", env[envIdentityURL], "--output", "json")
	if err != nil {
		t.Fatalf("aws bedrock-agentcore-control get-oauth2-credential-provider: %v\n%s", err, out)
	}
	var p struct {
		Name, CredentialProviderVendor string
		ClientSecretArn                struct{ SecretArn string }
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil || p.Name != "EntraIdServiceNow" || p.ClientSecretArn.SecretArn == "" {
		t.Errorf("get-oauth2-credential-provider printed %s", out)
	}
	if strings.Contains(out, env[envAgentSecret]) {
		t.Error("the agent app's client secret is in the CLI's output")
	}

	// The workload key may not act for the admin: the CLI shows AWS's code.
	out, err = awsCLI(t, env, map[string]string{
		"AWS_ACCESS_KEY_ID": env[envWorkloadKeyID], "AWS_SECRET_ACCESS_KEY": env[envWorkloadSecret],
	}, "bedrock-agentcore-control", "get-workload-identity", "--name", env[envWorkloadName], "--endpoint-url", env[envIdentityURL])
	if err == nil || !strings.Contains(out, "AccessDeniedException") {
		t.Errorf("workload key on the control plane: err=%v output %q, want AccessDeniedException", err, out)
	}
}
