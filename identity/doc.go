// Package identity is onbehalf's identity broker, the twin of Amazon Bedrock
// AgentCore Identity: credential providers, workload identities, workload
// access tokens, the encrypted token vault and the outbound OAuth flows
// (ON_BEHALF_OF_TOKEN_EXCHANGE and M2M; USER_FEDERATION comes later).
//
// Its Go API is named after the AgentCore operations and their fields, and
// the input and output structs carry AgentCore's JSON names, so the HTTP face
// (identity/awsapi, SigV4) only decodes and encodes them.
//
// # The flow
//
//  1. The runtime verified the user's token (Token A) and calls
//     [Broker.GetWorkloadAccessTokenForJWT]. The broker verifies Token A again
//     through Config.VerifyUserToken and returns a workload access token
//     (WAT): "obwat1." + base64url(keyring.Seal(JSON{workload, iss, sub, iat,
//     exp, user token}, "onbehalf/wat/v1")). It is opaque, only a broker
//     holding the keyring can open it, it binds the workload to the user
//     (iss+sub), and it expires no later than Token A (and at most
//     Config.WorkloadTokenTTL after issue).
//  2. Agent code calls [Broker.GetResourceOauth2Token] with the WAT (usually
//     through a [TokenSource] reading it from the request context). The
//     broker checks the WAT, the provider and that the workload may use it,
//     then answers from the vault or exchanges Token A at the IdP: RFC 7523
//     jwt-bearer with requested_token_use=on_behalf_of (Entra ID OBO) or RFC
//     8693 token exchange; M2M uses client credentials. Concurrent cold
//     callers for one vault key share one IdP request.
//
// # The vault
//
// A vault key is the canonical, length-prefixed encoding of (workload,
// provider, user iss, user sub, sorted scopes, sorted audiences, sorted
// resources, sorted custom parameters); M2M keys have no user. The store row
// id is hex(sha256(key)); the row holds keyring.Seal({access_token,
// refresh_token, expires_at, scope}, associated data = the key bytes), so a
// ciphertext copied to another row fails to open and the broker exchanges
// afresh instead of serving it. A cached token is reused until
// Config.RefreshBefore before it expires; then its refresh token is redeemed
// if it has one, else Token A is exchanged again. ForceAuthentication skips
// and replaces the cached token.
//
// # Errors
//
// Every failure is an *Error whose Type is an AgentCore exception name.
// An invalid, tampered or expired WAT is UnauthorizedException (the
// credential presented does not authenticate: get a new WAT); a valid WAT
// whose workload may not use the provider is AccessDeniedException. IdP
// errors keep the IdP's *oauth.Error in Error.OAuth (for example the claims
// challenge of interaction_required).
//
// # Audit and logs
//
// Every WAT issue and every GetResourceOauth2Token (vault hit, IdP call with
// its duration, failure with the OAuth error code) appends a
// store.AuditEvent; a successful call whose audit event cannot be written
// fails. Neither audit events nor logs ever hold a token, secret or
// assertion; logs correlate with a short SHA-256 prefix.
package identity
