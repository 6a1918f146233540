// Package entra emulates one Microsoft Entra ID (v2.0) tenant for development
// and tests: OpenID discovery, the JWKS, a sign-in page with the
// authorization code flow (PKCE, SPA and web redirect URIs, single sign-on,
// logout), and the token endpoint with the password (ROPC),
// client_credentials, On-Behalf-Of
// (urn:ietf:params:oauth:grant-type:jwt-bearer + requested_token_use=on_behalf_of),
// authorization_code, refresh_token and RFC 8693 token-exchange grants,
// following Entra's rules and answering Entra's AADSTS error bodies.
//
// It is the outside world: it imports nothing of onbehalf, so the product is
// tested against the same wire protocol it meets at login.microsoftonline.com.
// The paths are Entra's real ones, relative to Config.BaseURL:
//
//	GET     /{tenant}/v2.0/.well-known/openid-configuration
//	GET     /{tenant}/discovery/v2.0/keys
//	POST    /{tenant}/oauth2/v2.0/token     (OPTIONS: CORS preflight for SPA origins)
//	GET     /{tenant}/oauth2/v2.0/authorize (the sign-in page; it posts back to itself)
//	GET     /{tenant}/oauth2/v2.0/logout
//
// {tenant} is the tenant id, or "common"/"organizations" (whose discovery
// document carries Entra's issuer template with the literal "{tenantid}").
//
// # Quick start
//
// The base URL goes into the issuer, so create the listener first:
//
//	ts := httptest.NewUnstartedServer(nil)
//	base := "http://" + ts.Listener.Addr().String()
//	idp, err := entra.New(entra.DevConfig(base, agentSecret, userPassword))
//	if err != nil { ... }
//	ts.Config.Handler = idp
//	ts.Start()
//	defer ts.Close()
//
//	// Token A: Jane signs in to the agent app (ROPC).
//	form := url.Values{
//		"grant_type":    {"password"},
//		"client_id":     {entra.DevAgentClientID},
//		"client_secret": {agentSecret},
//		"username":      {"jane.smith@company.com"},
//		"password":      {userPassword},
//		"scope":         {"api://" + entra.DevAgentClientID + "/access_as_user"},
//	}
//	resp, err := http.PostForm(idp.TokenURL(), form)
//
// Tests of other packages can call entratest.Start(t) instead, which does
// the above with fresh random secrets and stops the server with the test;
// entratest.WithRuntimeURL and Tenant.SignIn drive the sign-in page for a
// UI under test.
//
// Token B is then an OBO request by the agent app with assertion = Token A and
// scope = "api://" + entra.DevConnectorClientID + "/user_impersonation", or
// a token exchange with subject_token = Token A and audience = the
// connector.
//
// # Browser sign-in
//
// A UI signs users in with response_type=code. Its redirect URI must be
// registered: App.RedirectURIs (web: redeemed with the client secret) or
// App.SPARedirectURIs (single-page app: PKCE S256 required, redeemed
// cross-origin from that URI's origin without a secret, answered with
// Access-Control-Allow-Origin; refresh tokens live 24 hours).
// DevOptions.RuntimeURL registers the runtime's UI for the agent app. The
// page lists the tenant's users; the authorization request stays on the
// server under a random id, and the form is accepted only from the browser
// that loaded it. Its "approve" checkbox is the emulated multi-factor
// authentication.
//
// # Provoking failures
//
// Everything the identity broker must survive can be switched on while the
// server runs:
//
//	idp.SetConditionalAccess(upn, true)      // OBO/exchange: 400 interaction_required AADSTS50076 + claims challenge
//	idp.RevokeConsent(clientID, resourceID)  // 400 invalid_grant AADSTS65001 (GrantConsent restores)
//	idp.RevokeRefreshTokens(upn)             // refresh: 400 invalid_grant AADSTS50173
//	idp.SetFault(entra.Fault{Status: 503, Count: 2, GrantType: entra.GrantJWTBearer})
//	idp.SetFault(entra.Fault{Delay: time.Minute}) // ends early when the client gives up
//	idp.ClearFaults()
//
// Conditional Access models one policy: MFA is required for every
// downstream API (any resource other than the requesting app's own), so
// Token A is issued and Token B refused until the user signs in again on
// the page with the claims challenge and approves MFA. Tokens from such a
// sign-in carry amr ["pwd","mfa"], which OBO, token exchange and refresh
// carry forward.
//
// Tokens are RS256 JWTs shaped like Entra v2 access tokens: aud is the
// resource app's client id, sub is pairwise per resource app, oid/tid
// identify the user, azp/azpacr the calling client, scp the delegated
// scopes; app-only tokens carry idtyp "app" and roles instead of scp;
// exchanged tokens carry RFC 8693 act chains. Authorization codes and
// refresh tokens are opaque random strings the server keeps only as
// SHA-256 hashes; refresh tokens rotate on every use.
//
// The emulator never logs a token, code, code verifier, refresh token,
// secret, password or assertion; a short SHA-256 prefix of an OBO
// assertion or subject token is logged for correlation.
package entra
