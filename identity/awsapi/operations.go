package awsapi

import (
	"context"

	"github.com/onbehalf/onbehalf/identity"
)

// The AgentCore Identity operations this package serves, by service.
var servedOperations = map[string][]string{
	DataPlaneService: {
		"GetWorkloadAccessToken",
		"GetWorkloadAccessTokenForJWT",
		"GetWorkloadAccessTokenForUserId",
		"GetResourceOauth2Token",
		"CompleteResourceTokenAuth",
		"GetResourceApiKey",
	},
	ControlPlaneService: {
		"CreateOauth2CredentialProvider",
		"GetOauth2CredentialProvider",
		"ListOauth2CredentialProviders",
		"UpdateOauth2CredentialProvider",
		"DeleteOauth2CredentialProvider",
		"CreateApiKeyCredentialProvider",
		"GetApiKeyCredentialProvider",
		"ListApiKeyCredentialProviders",
		"UpdateApiKeyCredentialProvider",
		"DeleteApiKeyCredentialProvider",
		"CreateWorkloadIdentity",
		"GetWorkloadIdentity",
		"ListWorkloadIdentities",
		"UpdateWorkloadIdentity",
		"DeleteWorkloadIdentity",
		"GetTokenVault",
	},
}

// operations maps each served operation to its broker call. An operation
// the broker does not implement yet is absent and answers
// UnknownOperationException.
func (h *Handler) operations() map[string]serveFunc {
	b := h.broker
	return map[string]serveFunc{
		"GetWorkloadAccessTokenForJWT": call(b.GetWorkloadAccessTokenForJWT,
			func(ctx context.Context, c *caller, in *identity.GetWorkloadAccessTokenForJWTInput) (context.Context, *apiError) {
				return ctx, c.forWorkload("GetWorkloadAccessTokenForJWT", in.WorkloadName)
			}),
		"GetResourceOauth2Token": call(b.GetResourceOauth2Token, watCaller[identity.GetResourceOauth2TokenInput]),
	}
}

// watCaller binds a call that presents a workload access token to the
// caller's workload: a workload key may only use its own workload's
// tokens.
func watCaller[In any](ctx context.Context, c *caller, _ *In) (context.Context, *apiError) {
	if c.key.Grant.Admin {
		return ctx, nil
	}
	return ctx, nil // TODO(awsapi-needs #1): identity.WithCallerWorkload(ctx, c.key.Grant.Workload)
}
