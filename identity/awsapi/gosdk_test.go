package awsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	"github.com/aws/smithy-go"

	"github.com/onbehalf/onbehalf/emulator/entra"
	"github.com/onbehalf/onbehalf/emulator/entra/entratest"
	"github.com/onbehalf/onbehalf/identity/awsapi"
)

// wat gets a workload access token for upn's Token A with the Go SDK.
func (w *world) wat(t *testing.T, k awsapi.AccessKey, wl, upn string) string {
	t.Helper()
	out, err := w.dataClient(k).GetWorkloadAccessTokenForJWT(context.Background(), &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(wl),
		UserToken:    aws.String(w.idp.TokenA(t, upn)),
	})
	if err != nil {
		t.Fatalf("GetWorkloadAccessTokenForJWT(%s, %s): %v", wl, upn, err)
	}
	return aws.ToString(out.WorkloadAccessToken)
}

func TestGoSDKGetsTokenBForJaneThroughOnBehalfOf(t *testing.T) {
	w := newWorld(t)
	wat := w.wat(t, w.wl, workload, jane)
	out, err := w.dataClient(w.wl).GetResourceOauth2Token(context.Background(), &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(wat),
		ResourceCredentialProviderName: aws.String(provider),
		Scopes:                         []string{entratest.ConnectorScope},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	if err != nil {
		t.Fatalf("GetResourceOauth2Token: %v", err)
	}
	c := claims(t, aws.ToString(out.AccessToken))
	if c["aud"] != entra.DevConnectorClientID || c["preferred_username"] != jane {
		t.Errorf("Token B aud=%v preferred_username=%v, want aud %s for %s", c["aud"], c["preferred_username"], entra.DevConnectorClientID, jane)
	}
}

// apiErr returns err's AWS error code and HTTP status.
func apiErr(t *testing.T, err error) (code string, status int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func TestWorkloadKeyCannotAskForAnotherWorkloadsToken(t *testing.T) {
	w := newWorld(t)
	_, err := w.dataClient(w.wl).GetWorkloadAccessTokenForJWT(context.Background(), &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(otherWorkload),
		UserToken:    aws.String(w.idp.TokenA(t, jane)),
	})
	if code, st := apiErr(t, err); code != "AccessDeniedException" || st != http.StatusForbidden {
		t.Errorf("got %s %d, want AccessDeniedException 403", code, st)
	}
	var ad *types.AccessDeniedException
	if !errors.As(err, &ad) || !strings.Contains(ad.ErrorMessage(), workload) {
		t.Errorf("error %v is not a typed AccessDeniedException naming the key's workload %s", err, workload)
	}
}

func TestAdminKeyMayAskForAnyWorkload(t *testing.T) {
	w := newWorld(t)
	if wat := w.wat(t, w.admin, otherWorkload, bob); !strings.HasPrefix(wat, "obwat1.") {
		t.Errorf("admin got %q…, want a workload access token", wat[:min(len(wat), 10)])
	}
}

func TestWorkloadKeyCannotUseAProviderItsWorkloadMayNot(t *testing.T) {
	w := newWorld(t)
	wat := w.wat(t, w.wl, workload, jane)
	_, err := w.dataClient(w.wl).GetResourceOauth2Token(context.Background(), &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(wat),
		ResourceCredentialProviderName: aws.String(hrProvider),
		Scopes:                         []string{"api://" + hrAppID + "/Cases.Read"},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	if code, st := apiErr(t, err); code != "AccessDeniedException" || st != http.StatusForbidden {
		t.Errorf("got %s %d, want AccessDeniedException 403", code, st)
	}
}

func TestUnknownProviderIsResourceNotFound(t *testing.T) {
	w := newWorld(t)
	wat := w.wat(t, w.wl, workload, jane)
	_, err := w.dataClient(w.wl).GetResourceOauth2Token(context.Background(), &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(wat),
		ResourceCredentialProviderName: aws.String("NoSuchProvider"),
		Scopes:                         []string{entratest.ConnectorScope},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("got %v, want a typed ResourceNotFoundException", err)
	}
}

func TestTamperedWorkloadAccessTokenIsUnauthorized(t *testing.T) {
	w := newWorld(t)
	wat := w.wat(t, w.wl, workload, jane)
	tampered := wat[:len(wat)-4] + "AAAA"
	_, err := w.dataClient(w.wl).GetResourceOauth2Token(context.Background(), &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(tampered),
		ResourceCredentialProviderName: aws.String(provider),
		Scopes:                         []string{entratest.ConnectorScope},
		Oauth2Flow:                     types.Oauth2FlowTypeOnBehalfOfTokenExchange,
	})
	var ue *types.UnauthorizedException
	if code, st := apiErr(t, err); !errors.As(err, &ue) || st != http.StatusUnauthorized {
		t.Errorf("got %s %d, want a typed UnauthorizedException 401", code, st)
	}
}

// signer signs raw requests like the SDKs do.
func sign(t *testing.T, k awsapi.AccessKey, body string, at time.Time) func(*http.Request) {
	return func(r *http.Request) {
		sum := sha256.Sum256([]byte(body))
		err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey},
			r, hex.EncodeToString(sum[:]), awsapi.SigningName, region, at)
		if err != nil {
			t.Fatal(err)
		}
	}
}
