// Package entra emulates one Microsoft Entra ID (v2.0) tenant for development
// and tests: OpenID discovery, the JWKS, and the token endpoint with the
// password (ROPC), client_credentials and On-Behalf-Of
// (urn:ietf:params:oauth:grant-type:jwt-bearer + requested_token_use=on_behalf_of)
// grants, following Entra's rules and answering Entra's AADSTS error bodies.
//
// It is the outside world: it imports nothing of onbehalf, so the product is
// tested against the same wire protocol it meets at login.microsoftonline.com.
// The paths are Entra's real ones, relative to Config.BaseURL:
//
//	GET  /{tenant}/v2.0/.well-known/openid-configuration
//	GET  /{tenant}/discovery/v2.0/keys
//	POST /{tenant}/oauth2/v2.0/token
//	GET  /{tenant}/oauth2/v2.0/authorize   (advertised; answers 501 for now)
//	GET  /{tenant}/oauth2/v2.0/logout      (advertised; answers 501 for now)
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
// the above with fresh random secrets and stops the server with the test.
//
// Token B is then an OBO request by the agent app with assertion = Token A and
// scope = "api://" + entra.DevConnectorClientID + "/user_impersonation".
//
// Tokens are RS256 JWTs shaped like Entra v2 access tokens: aud is the
// resource app's client id, sub is pairwise per resource app, oid/tid
// identify the user, azp/azpacr the calling client, scp the delegated
// scopes; app-only tokens carry idtyp "app" and roles instead of scp.
//
// The emulator never logs a token, secret, password or assertion; a short
// SHA-256 prefix of the assertion is logged for correlation.
package entra
