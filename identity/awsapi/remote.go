package awsapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore"
	"github.com/aws/aws-sdk-go-v2/service/bedrockagentcore/types"
	"github.com/aws/smithy-go"

	"github.com/onbehalf/onbehalf/identity"
	"github.com/onbehalf/onbehalf/oauth"
)

// RemoteClient calls an AgentCore Identity data plane over HTTP with the
// AWS SDK for Go: a remote onbehalf broker, or AWS AgentCore itself. It
// implements identity.TokenGetter, so agent code is the same whether the
// broker runs in process or elsewhere.
type RemoteClient struct {
	c *bedrockagentcore.Client
}

var _ identity.TokenGetter = (*RemoteClient)(nil)

// NewRemoteClient returns a client signing with cfg's credentials for
// cfg's region. endpoint is the broker's base URL (an onbehalf broker's
// identity address); empty means AWS's own endpoint for the region.
func NewRemoteClient(cfg aws.Config, endpoint string) *RemoteClient {
	return &RemoteClient{c: bedrockagentcore.NewFromConfig(cfg, func(o *bedrockagentcore.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})}
}

// GetResourceOauth2Token implements identity.TokenGetter. Errors from the
// service are *identity.Error with the service's type and message (and,
// from an onbehalf broker, the IdP's error code and claims challenge).
func (rc *RemoteClient) GetResourceOauth2Token(ctx context.Context, in identity.GetResourceOauth2TokenInput) (identity.GetResourceOauth2TokenOutput, error) {
	req := &bedrockagentcore.GetResourceOauth2TokenInput{
		WorkloadIdentityToken:          aws.String(in.WorkloadIdentityToken),
		ResourceCredentialProviderName: aws.String(in.ResourceCredentialProviderName),
		Scopes:                         in.Scopes,
		Oauth2Flow:                     types.Oauth2FlowType(in.Oauth2Flow),
		CustomParameters:               in.CustomParameters,
		Resources:                      in.Resources,
		Audiences:                      in.Audiences,
	}
	if req.Scopes == nil {
		req.Scopes = []string{} // required by the model, even when empty
	}
	if in.ForceAuthentication {
		req.ForceAuthentication = aws.Bool(true)
	}
	if in.SessionURI != "" {
		req.SessionUri = aws.String(in.SessionURI)
	}
	if in.ResourceOauth2ReturnURL != "" {
		req.ResourceOauth2ReturnUrl = aws.String(in.ResourceOauth2ReturnURL)
	}
	if in.CustomState != "" {
		req.CustomState = aws.String(in.CustomState)
	}
	out, err := rc.c.GetResourceOauth2Token(ctx, req)
	if err != nil {
		return identity.GetResourceOauth2TokenOutput{}, remoteError("GetResourceOauth2Token", err)
	}
	// USER_FEDERATION may answer with the authorization URL instead of a
	// token; identity.TokenSource turns that into ErrAuthorizationRequired.
	return identity.GetResourceOauth2TokenOutput{
		AccessToken:      aws.ToString(out.AccessToken),
		AuthorizationURL: aws.ToString(out.AuthorizationUrl),
		SessionURI:       aws.ToString(out.SessionUri),
		SessionStatus:    string(out.SessionStatus),
	}, nil
}

// GetWorkloadAccessTokenForJWT is the runtime's call: a workload access
// token binding workload to the user of userToken.
func (rc *RemoteClient) GetWorkloadAccessTokenForJWT(ctx context.Context, in identity.GetWorkloadAccessTokenForJWTInput) (identity.GetWorkloadAccessTokenForJWTOutput, error) {
	out, err := rc.c.GetWorkloadAccessTokenForJWT(ctx, &bedrockagentcore.GetWorkloadAccessTokenForJWTInput{
		WorkloadName: aws.String(in.WorkloadName),
		UserToken:    aws.String(in.UserToken),
	})
	if err != nil {
		return identity.GetWorkloadAccessTokenForJWTOutput{}, remoteError("GetWorkloadAccessTokenForJWT", err)
	}
	return identity.GetWorkloadAccessTokenForJWTOutput{WorkloadAccessToken: aws.ToString(out.WorkloadAccessToken)}, nil
}

// remoteError turns an SDK error into an *identity.Error when the service
// answered, keeping the IdP details an onbehalf broker adds in headers.
func remoteError(op string, err error) error {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return fmt.Errorf("awsapi: %s: %w", op, err)
	}
	typ := ae.ErrorCode()
	if _, known := statusOf[typ]; !known {
		// Authentication refusals (InvalidSignatureException, …) and
		// anything new: the caller's credentials or request are wrong.
		typ = identity.AccessDeniedException
		if ae.ErrorFault() == smithy.FaultServer {
			typ = identity.InternalServerException
		}
	}
	msg := ae.ErrorMessage()
	if typ != ae.ErrorCode() {
		msg = ae.ErrorCode() + ": " + msg
	}
	e := &identity.Error{Type: typ, Message: msg}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		h := re.Response.Header
		if code := h.Get(HeaderOAuthError); code != "" {
			o := &oauth.Error{Code: code, StatusCode: re.Response.StatusCode}
			for _, s := range strings.Split(h.Get(HeaderOAuthErrorCodes), ",") {
				if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
					o.ErrorCodes = append(o.ErrorCodes, n)
				}
			}
			if c, err := base64.StdEncoding.DecodeString(h.Get(HeaderClaimsChallenge)); err == nil {
				o.Claims = string(c)
			}
			e.OAuth = o
		}
	}
	return e
}
