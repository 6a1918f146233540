package awsapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcorecontrol/types"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/identity/awsapi"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCallbackAndJWKSAreServedWithoutSigV4(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	// A callback with a state the broker never issued: the broker's own
	// error page, not a SigV4 refusal.
	st, body := get(t, w.url+identity.CallbackPath+"?state=unknown&code=x")
	if st == http.StatusForbidden || strings.Contains(body, "MissingAuthenticationToken") || st < 400 {
		t.Errorf("callback: %d %.200s, want the broker's error page", st, body)
	}
	if st, body := get(t, w.url+awsapi.JWKSPath+"NoSuchProvider"); st != http.StatusNotFound {
		t.Errorf("JWKS of an unknown provider: %d %.200s, want 404", st, body)
	}
	if st, body := get(t, w.url+"/ping"); st != http.StatusOK || !strings.Contains(body, "Healthy") {
		t.Errorf("ping: %d %s", st, body)
	}
	// Every other path still needs a signature.
	if st, body := get(t, w.url+"/identities/ListWorkloadIdentities"); st != http.StatusForbidden {
		t.Errorf("unsigned GET of an API path: %d %.200s, want 403", st, body)
	}
}

func TestPrivateKeyJWTProviderFromTheNewerGoSDKModel(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	ctx := context.Background()
	out, err := w.controlClient(w.admin).CreateOauth2CredentialProvider(ctx, &bedrockagentcorecontrol.CreateOauth2CredentialProviderInput{
		Name:                     aws.String("EntraPrivateKey"),
		CredentialProviderVendor: types.CredentialProviderVendorTypeCustomOauth2,
		Oauth2ProviderConfigInput: &types.Oauth2ProviderConfigInputMemberCustomOauth2ProviderConfig{Value: types.CustomOauth2ProviderConfigInput{
			OauthDiscovery:             &types.Oauth2DiscoveryMemberDiscoveryUrl{Value: w.idp.DiscoveryURL()},
			ClientId:                   aws.String(entra.DevAgentClientID),
			ClientAuthenticationMethod: types.ClientAuthenticationMethodType("PRIVATE_KEY_JWT"),
		}},
	})
	if err != nil {
		t.Fatalf("CreateOauth2CredentialProvider with PRIVATE_KEY_JWT: %v", err)
	}
	st, body := get(t, w.url+awsapi.JWKSPath+aws.ToString(out.Name))
	if st != http.StatusOK || !strings.Contains(body, `"keys"`) {
		t.Errorf("its JWKS: %d %.200s", st, body)
	}
}

func TestBrokerValidationKeepsItsFieldList(t *testing.T) {
	w := newWorldWith(t, worldOptions{empty: true})
	// Valid for the model, refused by the broker: the vendor and the
	// configuration member disagree.
	body := `{"name":"Mismatch","credentialProviderVendor":"GoogleOauth2","oauth2ProviderConfigInput":{
		"microsoftOauth2ProviderConfig":{"clientId":"c","clientSecret":"s"}}}`
	resp, rb := w.rawCall(t, "/identities/CreateOauth2CredentialProvider", body, sign(t, w.admin, body, time.Now()))
	e := wantError(t, resp, rb, http.StatusBadRequest, "ValidationException")
	if e.Reason == "" || len(e.FieldList) == 0 || !strings.HasPrefix(e.FieldList[0].Name, "oauth2ProviderConfigInput") {
		t.Errorf("reason %q fieldList %+v, want the broker's field named", e.Reason, e.FieldList)
	}
	// The Go SDK surfaces the list too.
	_, err := w.controlClient(w.admin).CreateWorkloadIdentity(context.Background(), &bedrockagentcorecontrol.CreateWorkloadIdentityInput{
		Name: aws.String("no spaces"),
	})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || len(ve.FieldList) == 0 || aws.ToString(ve.FieldList[0].Name) != "name" || ve.Reason == "" {
		t.Errorf("got %v, want a ValidationException naming name", err)
	}
}
