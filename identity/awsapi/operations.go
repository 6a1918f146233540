package awsapi

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

// operations maps each served operation to its broker call. The broker
// enforces the caller's workload binding itself (identity.WithCaller, set
// by the handler for every call); control-plane calls reach here only with
// an admin key.
func (h *Handler) operations() map[string]serveFunc {
	b := h.broker
	return map[string]serveFunc{
		// Data plane.
		"GetWorkloadAccessToken":          call(b.GetWorkloadAccessToken),
		"GetWorkloadAccessTokenForJWT":    call(b.GetWorkloadAccessTokenForJWT),
		"GetWorkloadAccessTokenForUserId": call(b.GetWorkloadAccessTokenForUserId),
		"GetResourceOauth2Token":          call(b.GetResourceOauth2Token),
		"CompleteResourceTokenAuth":       call(b.CompleteResourceTokenAuth),
		"GetResourceApiKey":               call(b.GetResourceApiKey),
		// Control plane.
		"CreateOauth2CredentialProvider": call(b.CreateOauth2CredentialProvider),
		"GetOauth2CredentialProvider":    call(b.GetOauth2CredentialProvider),
		"ListOauth2CredentialProviders":  call(b.ListOauth2CredentialProviders),
		"UpdateOauth2CredentialProvider": call(b.UpdateOauth2CredentialProvider),
		"DeleteOauth2CredentialProvider": call(b.DeleteOauth2CredentialProvider),
		"CreateApiKeyCredentialProvider": call(b.CreateApiKeyCredentialProvider),
		"GetApiKeyCredentialProvider":    call(b.GetApiKeyCredentialProvider),
		"ListApiKeyCredentialProviders":  call(b.ListApiKeyCredentialProviders),
		"UpdateApiKeyCredentialProvider": call(b.UpdateApiKeyCredentialProvider),
		"DeleteApiKeyCredentialProvider": call(b.DeleteApiKeyCredentialProvider),
		"CreateWorkloadIdentity":         call(b.CreateWorkloadIdentity),
		"GetWorkloadIdentity":            call(b.GetWorkloadIdentity),
		"ListWorkloadIdentities":         call(b.ListWorkloadIdentities),
		"UpdateWorkloadIdentity":         call(b.UpdateWorkloadIdentity),
		"DeleteWorkloadIdentity":         call(b.DeleteWorkloadIdentity),
		"GetTokenVault":                  call(b.GetTokenVault),
	}
}
