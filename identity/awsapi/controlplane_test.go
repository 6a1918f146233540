package awsapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	dptypes "github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
)

// step2a is the article's Step 2a input, its placeholders filled with the
// emulator's discovery URL and the dev agent app's credentials.
func (w *world) step2a() string {
	return `{
"name": "EntraIdServiceNow",
"credentialProviderVendor": "CustomOauth2",
"oauth2ProviderConfigInput": {
"customOauth2ProviderConfig": {
"oauthDiscovery": {
"discoveryUrl": "` + w.idp.DiscoveryURL() + `"
},
"clientId": "` + entra.DevAgentClientID + `",
"clientSecret": "` + w.idp.AgentSecret + `",
"onBehalfOfTokenExchangeConfig": {
"grantType": "JWT_AUTHORIZATION_GRANT"
}
}
}
}`
}

func TestAWSCLIRunsTheArticlesStep2aAnd2b(t *testing.T) {
	t.Parallel() // the CLI is slow to start; overlap it with the other tests
	w := newWorldWith(t, worldOptions{empty: true})
	type result struct {
		out string
		err error
	}
	// cli runs aws commands concurrently (one AWS CLI process each) and
	// returns their results in order.
	cli := func(cmds ...[]string) []result {
		res := make([]result, len(cmds))
		var wg sync.WaitGroup
		for i, args := range cmds {
			key := w.admin
			if args[0] == "workload" {
				key = w.wl
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := w.external(t, key, nil, "aws", append(args[1:], "--endpoint-url", w.url, "--output", "json")...)
				res[i] = result{out, err}
			}()
		}
		wg.Wait()
		return res
	}

	// Step 2a and Step 2b, verbatim but for --endpoint-url.
	r := cli(
		[]string{"admin", "bedrock-agentcore-control", "create-oauth2-credential-provider", "--cli-input-json", w.step2a()},
		[]string{"admin", "bedrock-agentcore-control", "create-workload-identity", "--name", "servicenow-agent-workload"},
	)
	if r[0].err != nil || r[1].err != nil {
		t.Fatalf("Step 2a: %v\n%s\nStep 2b: %v\n%s", r[0].err, r[0].out, r[1].err, r[1].out)
	}
	var created struct {
		Name, CredentialProviderArn, CallbackUrl string
		ClientSecretArn                          struct{ SecretArn string }
	}
	if err := json.Unmarshal([]byte(r[0].out), &created); err != nil {
		t.Fatalf("Step 2a output %q: %v", r[0].out, err)
	}
	if created.Name != provider || !strings.HasSuffix(created.CredentialProviderArn, ":token-vault/default/oauth2credentialprovider/"+provider) ||
		created.ClientSecretArn.SecretArn == "" {
		t.Errorf("Step 2a printed %s, want the provider's name, ARN and secret ARN", r[0].out)
	}
	var wl struct{ Name, WorkloadIdentityArn string }
	if err := json.Unmarshal([]byte(r[1].out), &wl); err != nil || wl.Name != workload ||
		!strings.HasSuffix(wl.WorkloadIdentityArn, ":workload-identity-directory/default/workload-identity/"+workload) {
		t.Errorf("Step 2b printed %s (%v), want the workload's name and ARN", r[1].out, err)
	}

	// What the CLI created serves the article's OBO exchange.
	ctx := context.Background()
	wat := w.wat(t, w.wl, workload, jane)
	tok, err := w.dataClient(w.wl).GetResourceOauth2Token(ctx, &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken: &wat, ResourceCredentialProviderName: aws.String(provider),
		Scopes: []string{entratest.ConnectorScope}, Oauth2Flow: dptypes.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	if err != nil {
		t.Fatalf("GetResourceOauth2Token through the CLI-made provider: %v", err)
	}
	if c := claims(t, *tok.AccessToken); c["aud"] != entra.DevConnectorClientID {
		t.Errorf("Token B aud=%v, want the connector", c["aud"])
	}

	// Get and list show the provider, never its secret; a workload key
	// may not administer.
	r = cli(
		[]string{"admin", "bedrock-agentcore-control", "get-oauth2-credential-provider", "--name", provider},
		[]string{"admin", "bedrock-agentcore-control", "list-oauth2-credential-providers"},
		[]string{"workload", "bedrock-agentcore-control", "list-workload-identities"},
	)
	if r[0].err != nil || !strings.Contains(r[0].out, entra.DevAgentClientID) || !strings.Contains(r[0].out, w.idp.DiscoveryURL()) {
		t.Errorf("get-oauth2-credential-provider: %v\n%s", r[0].err, r[0].out)
	}
	if r[1].err != nil || !strings.Contains(r[1].out, `"name": "`+provider+`"`) {
		t.Errorf("list-oauth2-credential-providers: %v\n%s", r[1].err, r[1].out)
	}
	if r[2].err == nil || !strings.Contains(r[2].out, "AccessDeniedException") {
		t.Errorf("workload key listing workloads: %v\n%s", r[2].err, r[2].out)
	}

	// Delete, then it is gone.
	if r = cli([]string{"admin", "bedrock-agentcore-control", "delete-oauth2-credential-provider", "--name", provider}); r[0].err != nil {
		t.Errorf("delete-oauth2-credential-provider: %v\n%s", r[0].err, r[0].out)
	}
	_, err = w.controlClient(w.admin).GetOauth2CredentialProvider(ctx, &bedrockagentcorecontrol.GetOauth2CredentialProviderInput{Name: aws.String(provider)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("get after delete: got %v, want ResourceNotFoundException", err)
	}
}

func TestGoSDKControlPlaneLifecycle(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	ctx := context.Background()
	cp := w.controlClient(w.admin)
	before := time.Now().Add(-time.Minute)

	cw, err := cp.CreateWorkloadIdentity(ctx, &bedrockagentcorecontrol.CreateWorkloadIdentityInput{
		Name: aws.String(workload), AllowedResourceOauth2ReturnUrls: []string{"https://agent.example.com/callback"},
	})
	if err != nil {
		t.Fatalf("CreateWorkloadIdentity: %v", err)
	}
	if !strings.HasSuffix(aws.ToString(cw.WorkloadIdentityArn), "/workload-identity/"+workload) {
		t.Errorf("workload ARN %q", aws.ToString(cw.WorkloadIdentityArn))
	}
	_, err = cp.CreateWorkloadIdentity(ctx, &bedrockagentcorecontrol.CreateWorkloadIdentityInput{Name: aws.String(workload)})
	var conflict *types.ConflictException
	var validation *types.ValidationException
	if !errors.As(err, &conflict) && !errors.As(err, &validation) {
		t.Errorf("creating %s twice: got %v, want ConflictException (or ValidationException)", workload, err)
	}
	gw, err := cp.GetWorkloadIdentity(ctx, &bedrockagentcorecontrol.GetWorkloadIdentityInput{Name: aws.String(workload)})
	if err != nil {
		t.Fatalf("GetWorkloadIdentity: %v", err)
	}
	if gw.CreatedTime == nil || gw.CreatedTime.Before(before) || gw.CreatedTime.After(time.Now().Add(time.Minute)) {
		t.Errorf("createdTime %v is not the creation time (epoch seconds on the wire)", gw.CreatedTime)
	}
	lw, err := cp.ListWorkloadIdentities(ctx, &bedrockagentcorecontrol.ListWorkloadIdentitiesInput{})
	if err != nil || len(lw.WorkloadIdentities) != 1 || aws.ToString(lw.WorkloadIdentities[0].Name) != workload {
		t.Errorf("ListWorkloadIdentities: %v %+v", err, lw)
	}
	uw, err := cp.UpdateWorkloadIdentity(ctx, &bedrockagentcorecontrol.UpdateWorkloadIdentityInput{
		Name: aws.String(workload), AllowedResourceOauth2ReturnUrls: []string{"https://agent.example.com/other"},
	})
	if err != nil || len(uw.AllowedResourceOauth2ReturnUrls) != 1 || uw.AllowedResourceOauth2ReturnUrls[0] != "https://agent.example.com/other" {
		t.Errorf("UpdateWorkloadIdentity: %v %+v", err, uw)
	}

	secretKey := "sk-" + strings.Repeat("q", 30)
	ca, err := cp.CreateApiKeyCredentialProvider(ctx, &bedrockagentcorecontrol.CreateApiKeyCredentialProviderInput{
		Name: aws.String("TicketApiKey"), ApiKey: aws.String(secretKey),
	})
	if err != nil {
		t.Fatalf("CreateApiKeyCredentialProvider: %v", err)
	}
	if ca.ApiKeySecretArn == nil || aws.ToString(ca.ApiKeySecretArn.SecretArn) == "" {
		t.Errorf("no apiKeySecretArn")
	}
	ga, err := cp.GetApiKeyCredentialProvider(ctx, &bedrockagentcorecontrol.GetApiKeyCredentialProviderInput{Name: aws.String("TicketApiKey")})
	if err != nil || aws.ToString(ga.Name) != "TicketApiKey" {
		t.Errorf("GetApiKeyCredentialProvider: %v", err)
	}
	la, err := cp.ListApiKeyCredentialProviders(ctx, &bedrockagentcorecontrol.ListApiKeyCredentialProvidersInput{})
	if err != nil || len(la.CredentialProviders) != 1 {
		t.Errorf("ListApiKeyCredentialProviders: %v %+v", err, la)
	}
	tv, err := cp.GetTokenVault(ctx, &bedrockagentcorecontrol.GetTokenVaultInput{})
	if err != nil || aws.ToString(tv.TokenVaultId) != "default" || tv.KmsConfiguration == nil {
		t.Errorf("GetTokenVault: %v %+v", err, tv)
	}

	if _, err := cp.DeleteApiKeyCredentialProvider(ctx, &bedrockagentcorecontrol.DeleteApiKeyCredentialProviderInput{Name: aws.String("TicketApiKey")}); err != nil {
		t.Errorf("DeleteApiKeyCredentialProvider: %v", err)
	}
	if _, err := cp.DeleteWorkloadIdentity(ctx, &bedrockagentcorecontrol.DeleteWorkloadIdentityInput{Name: aws.String(workload)}); err != nil {
		t.Errorf("DeleteWorkloadIdentity: %v", err)
	}
	_, err = cp.GetWorkloadIdentity(ctx, &bedrockagentcorecontrol.GetWorkloadIdentityInput{Name: aws.String(workload)})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("get after delete: got %v, want ResourceNotFoundException", err)
	}
	for _, b := range w.recorder.all() {
		if strings.Contains(b, secretKey) {
			t.Errorf("the API key appears in a response:\n%.300s", b)
		}
	}
}
