package awsapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"

	"github.com/onbehalf/onbehalf/identity/awsapi"
)

func TestWorkloadKeyCannotPresentAnotherWorkloadsToken(t *testing.T) {
	w := newWorld(t)
	stolen := w.wat(t, w.admin, otherWorkload, jane)
	_, err := w.dataClient(w.wl).GetResourceOauth2Token(context.Background(), &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(stolen),
		ResourceCredentialProviderName: aws.String(hrProvider),
		Scopes:                         []string{"api://" + hrAppID + "/Cases.Read"},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	if code, st := apiErr(t, err); code != "AccessDeniedException" || st != http.StatusForbidden {
		t.Errorf("%s's key presenting %s's token: got %s %d, want AccessDeniedException 403", workload, otherWorkload, code, st)
	}
}

func TestBareUserIDNeedsItsOwnGrant(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ask := func(k awsapi.AccessKey) error {
		_, err := w.dataClient(k).GetWorkloadAccessTokenForUserId(ctx, &bedrockagentcore.GetWorkloadAccessTokenForUserIdInput{
			WorkloadName: aws.String(workload), UserId: aws.String("jane.smith"),
		})
		return err
	}
	if code, _ := apiErr(t, ask(w.wl)); code != "AccessDeniedException" {
		t.Errorf("plain workload key: got %s, want AccessDeniedException", code)
	}
	trusted, err := w.keys.Create(ctx, awsapi.Grant{Workload: workload, AllowUserID: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := ask(trusted); err != nil {
		t.Errorf("workload key granted bare user ids: %v", err)
	}
	if err := ask(w.admin); err != nil {
		t.Errorf("admin key: %v", err)
	}
}

func TestWorkloadGetsItsAPIKeyWithoutAUser(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	ctx := context.Background()
	cp := w.controlClient(w.admin)
	if _, err := cp.CreateWorkloadIdentity(ctx, &bedrockagentcorecontrol.CreateWorkloadIdentityInput{Name: aws.String(workload)}); err != nil {
		t.Fatal(err)
	}
	apiKey := "tk-" + strings.Repeat("z", 32)
	if _, err := cp.CreateApiKeyCredentialProvider(ctx, &bedrockagentcorecontrol.CreateApiKeyCredentialProviderInput{
		Name: aws.String("TicketApiKey"), ApiKey: aws.String(apiKey),
	}); err != nil {
		t.Fatal(err)
	}
	dp := w.dataClient(w.wl)
	wat, err := dp.GetWorkloadAccessToken(ctx, &bedrockagentcore.GetWorkloadAccessTokenInput{WorkloadName: aws.String(workload)})
	if err != nil {
		t.Fatalf("GetWorkloadAccessToken: %v", err)
	}
	out, err := dp.GetResourceApiKey(ctx, &bedrockagentcore.GetResourceApiKeyInput{
		WorkloadIdentityToken: wat.WorkloadAccessToken, ResourceCredentialProviderName: aws.String("TicketApiKey"),
	})
	if err != nil || aws.ToString(out.ApiKey) != apiKey {
		t.Errorf("GetResourceApiKey: %v, got the stored key: %t", err, out != nil && aws.ToString(out.ApiKey) == apiKey)
	}
}

func TestStatusCodesFollowTheModel(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	call := func(path, body string) (*http.Response, []byte) {
		return w.rawCall(t, path, body, sign(t, w.admin, body, time.Now()))
	}
	resp, body := call("/identities/CreateWorkloadIdentity", `{"name":"status-check"}`)
	if resp.StatusCode != http.StatusCreated || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Create: %d %q %s, want 201 JSON", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = call("/identities/DeleteWorkloadIdentity", `{"name":"status-check"}`)
	if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
		t.Errorf("Delete: %d %q, want 204 and no body", resp.StatusCode, body)
	}
	resp, body = call("/identities/DeleteWorkloadIdentity", `{"name":"status-check"}`)
	wantError(t, resp, body, http.StatusNotFound, "ResourceNotFoundException")
}

func TestOnbehalfExtensionMembersPassButUnknownOnesDoNot(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	body := `{"name":"scoped-workload","allowedCredentialProviders":["EntraIdServiceNow"]}`
	resp, rb := w.rawCall(t, "/identities/CreateWorkloadIdentity", body, sign(t, w.admin, body, time.Now()))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create with the allowedCredentialProviders extension: %d %s", resp.StatusCode, rb)
	}
	body = `{"name":"scoped-workload"}`
	_, rb = w.rawCall(t, "/identities/GetWorkloadIdentity", body, sign(t, w.admin, body, time.Now()))
	var got struct{ AllowedCredentialProviders []string }
	if err := json.Unmarshal(rb, &got); err != nil || len(got.AllowedCredentialProviders) != 1 {
		t.Errorf("get: %s, want allowedCredentialProviders [EntraIdServiceNow]", rb)
	}

	body = `{"name":"other","allowedTypo":["x"]}`
	resp, rb = w.rawCall(t, "/identities/CreateWorkloadIdentity", body, sign(t, w.admin, body, time.Now()))
	e := wantError(t, resp, rb, http.StatusBadRequest, "ValidationException")
	if len(e.FieldList) != 1 || e.FieldList[0].Name != "allowedTypo" {
		t.Errorf("fieldList %+v, want allowedTypo only", e.FieldList)
	}
}

func TestUnionWithTwoMembersIsRefused(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	body := `{"name":"Both","credentialProviderVendor":"MicrosoftOauth2","oauth2ProviderConfigInput":{
		"microsoftOauth2ProviderConfig":{"clientId":"c","clientSecret":"s"},
		"googleOauth2ProviderConfig":{"clientId":"c","clientSecret":"s"}}}`
	resp, rb := w.rawCall(t, "/identities/CreateOauth2CredentialProvider", body, sign(t, w.admin, body, time.Now()))
	e := wantError(t, resp, rb, http.StatusBadRequest, "ValidationException")
	if len(e.FieldList) != 1 || e.FieldList[0].Name != "oauth2ProviderConfigInput" || !strings.Contains(e.FieldList[0].Message, "exactly one member") {
		t.Errorf("fieldList %+v, want the union named", e.FieldList)
	}
}

func TestWorkloadKeyOnEveryControlPlaneOperationIsDenied(t *testing.T) {
	w := newWorld(t)
	for _, op := range []string{"CreateOauth2CredentialProvider", "GetOauth2CredentialProvider", "ListOauth2CredentialProviders",
		"UpdateOauth2CredentialProvider", "DeleteOauth2CredentialProvider", "CreateApiKeyCredentialProvider",
		"GetApiKeyCredentialProvider", "ListApiKeyCredentialProviders", "UpdateApiKeyCredentialProvider",
		"DeleteApiKeyCredentialProvider", "CreateWorkloadIdentity", "GetWorkloadIdentity", "ListWorkloadIdentities",
		"UpdateWorkloadIdentity", "DeleteWorkloadIdentity", "get-token-vault"} {
		resp, rb := w.rawCall(t, "/identities/"+op, "{}", sign(t, w.wl, "{}", time.Now()))
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
			t.Errorf("%s with a workload key: %d %s %s", op, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), rb)
		}
	}
}
