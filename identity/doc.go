// Package identity is onbehalf's identity broker, the twin of Amazon Bedrock
// AgentCore Identity: credential providers, workload identities, workload
// access tokens, the encrypted token vault, the outbound OAuth flows
// (ON_BEHALF_OF_TOKEN_EXCHANGE, M2M, USER_FEDERATION) and the audit trail.
//
// Its Go API is named after the AgentCore operations and their fields: one
// method per operation on *Broker, each func(ctx, XInput) (XOutput, error),
// with the service models' JSON member names (bedrock-agentcore-control
// 2023-06-05 and bedrock-agentcore 2024-02-28), so the HTTP face
// (identity/awsapi, SigV4) only decodes and encodes them.
//
// # Control plane
//
// Create/Get/List/Update/Delete for Oauth2CredentialProvider,
// ApiKeyCredentialProvider and WorkloadIdentity, and GetTokenVault. The
// records live in the store (store.Resource), so every replica sees them;
// each replica caches what it read for Config.ResourceCacheTTL. Client
// secrets, private keys and API keys are sealed with the keyring, bound to
// their record, and never returned: outputs carry AWS-format ARNs instead
// (Config.Region, Config.AccountID). Errors are AWS's: ValidationException
// with Reason and Fields (the model's member paths, e.g.
// "oauth2ProviderConfigInput.customOauth2ProviderConfig.clientId"; messages
// never quote values), ConflictException for a taken name,
// ResourceNotFoundException. Config.Providers, APIKeyProviders and Workloads
// are upserted at New; for those names the configuration wins and the API's
// Update and Delete are ConflictException. Every change is audited.
//
// # The flow
//
//  1. The runtime verified the user's token (Token A) and calls
//     [Broker.GetWorkloadAccessTokenForJWT]. The broker verifies Token A again
//     through Config.VerifyUserToken (or VerifyUserTokenFor, which is told
//     the workload, so that each workload accepts only its own agent's
//     tokens) and returns a workload access token
//     (WAT): "obwat1." + base64url(keyring.Seal(JSON{workload, iss, sub, iat,
//     exp, user token}, "onbehalf/wat/v1")). It is opaque, only a broker
//     holding the keyring can open it, it binds the workload to the user
//     (iss+sub), and it expires no later than Token A (and at most
//     Config.WorkloadTokenTTL after issue). GetWorkloadAccessToken names no
//     user (M2M, API keys); GetWorkloadAccessTokenForUserId names a user by a
//     bare id (UserIDIssuer|id), only for a Caller with AllowUserID.
//  2. Agent code calls [Broker.GetResourceOauth2Token] with the WAT (usually
//     through a [TokenSource] or [RequiresAccessToken] reading it from the
//     request context). The broker checks the WAT, the provider and that the
//     workload may use it, then answers from the vault or runs the flow:
//     ON_BEHALF_OF_TOKEN_EXCHANGE is RFC 7523 jwt-bearer with
//     requested_token_use=on_behalf_of (JWT_AUTHORIZATION_GRANT; Entra ID
//     OBO) or RFC 8693 token exchange (TOKEN_EXCHANGE; with actorTokenContent
//     M2M the provider's own client-credentials token is the actor_token);
//     M2M is client credentials; USER_FEDERATION is the authorization code
//     flow with PKCE and session binding (see federation.go: the callback
//     holds the tokens until CompleteResourceTokenAuth confirms the user who
//     started it). Clients authenticate with CLIENT_SECRET_POST,
//     CLIENT_SECRET_BASIC or PRIVATE_KEY_JWT (a key the broker generates per
//     provider, or a configured PEM; its public half is served by
//     JWKSHandler). customParameters are added but never replace standard
//     parameters.
//
// # One exchange across replicas
//
// Concurrent cold callers for one vault row share one IdP request: an
// in-process singleflight, then the store's Lock on the row (a PostgreSQL
// advisory lock, so several replicas on one database exchange once), then
// a second vault read under the lock before calling the IdP.
//
// # The vault
//
// A vault key is the canonical, length-prefixed encoding of (workload,
// provider, provider tag, flow, user iss, user sub, sorted scopes, sorted
// audiences, sorted resources, sorted custom parameters); M2M keys have no
// user. The provider tag is the provider's instance and endpoints, so a
// provider deleted and re-created, or repointed, never serves old tokens.
// The row id is hex(sha256(key)); the row holds keyring.Seal({access_token,
// refresh_token, expires_at, scope}, associated data = the row id), so a
// ciphertext copied to another row fails to open and the broker exchanges
// afresh instead of serving it. A cached token is reused until
// Config.RefreshBefore before it expires; then its refresh token is redeemed
// if it has one, else Token A is exchanged again. ForceAuthentication skips
// and replaces the cached token. Fresh rows are also kept in memory for
// Config.VaultCacheTTL. Keys rotate without downtime (old values keep
// opening); [Broker.ReencryptAll] re-seals everything with the active key.
//
// # Errors
//
// Every failure is an *Error whose Type is an AgentCore exception name.
// An invalid, tampered or expired WAT is UnauthorizedException (the
// credential presented does not authenticate: get a new WAT); a valid WAT
// whose workload may not use the provider is AccessDeniedException. IdP
// errors keep the IdP's *oauth.Error in Error.OAuth: consent missing
// (AADSTS65001) and invalid_grant are AccessDeniedException with a clear
// message; interaction_required carries a claims challenge
// ([ClaimsChallenge], [ClaimsChallengeHeader]) for the runtime to answer the
// user 401 with; an IdP that stays unreachable, slow or 5xx after the oauth
// client's bounded retries is InternalServerException "identity provider
// unavailable".
//
// # Audit and logs
//
// Every WAT issue, every GetResourceOauth2Token (vault hit, IdP call with
// its duration, failure with the OAuth error code), every API key, callback
// and completion, every control-plane change and every ReencryptAll appends
// a store.AuditEvent; a successful call whose audit event cannot be written
// fails. Concurrent events are committed together (group commit). Neither
// audit events nor logs ever hold a token, secret or assertion; logs
// correlate with a short SHA-256 prefix.
package identity
