// Package authorizer is onbehalf's inbound JWT authorizer, the twin of
// AgentCore Runtime's customJWTAuthorizer: it validates the user's IdP
// access token (Token A) before any agent code runs.
//
// It is a package of its own because it is the trust boundary: the runtime
// front door calls Verify and refuses the request (401 with the
// WWW-Authenticate value from Challenge) on any error, and nothing else in
// onbehalf parses an inbound token.
//
// The shape follows coreos/go-oidc's verifier: a strict zero-value Config
// whose only relaxations are named (SkipAudienceCheck, InsecureAllowHTTP),
// an injected clock, cheap claim checks before any network fetch or
// signature check, and a one-method KeySet with a static implementation and
// a remote one (discovery document, then jwks_uri) whose concurrent
// refreshes share one in-flight fetch.
//
// Quick start:
//
//	authz, err := authorizer.New(ctx, authorizer.Config{
//		DiscoveryURL:     "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration",
//		AllowedAudiences: []string{"<agent app client id>", "api://<agent app client id>"},
//		AllowedClients:   []string{"<chat UI client id>"},
//	})
//	if err != nil { ... }        // every config problem, at once
//	defer authz.Close()
//
//	raw, err := authorizer.BearerToken(r)
//	if err == nil {
//		claims, err = authz.Verify(r.Context(), raw)
//	}
//	if err != nil {
//		w.Header().Set("WWW-Authenticate", authorizer.Challenge(err, "onbehalf"))
//		http.Error(w, http.StatusText(authorizer.StatusCode(err)), authorizer.StatusCode(err))
//		return
//	}
//	// identify the user by claims.Issuer + claims.Subject
//
// What a token must be: a compact JWS no larger than MaxTokenBytes, signed
// with an allow-listed asymmetric algorithm (never HS* or none) by the key
// its kid names in the issuer's JWK set; iss exactly the discovery
// document's issuer (Entra's multi-tenant "{tenantid}" completed with the
// token's GUID tid); exp present and not past, nbf and iat not in the
// future, all with ClockSkew; aud containing an allowed audience; the
// client (azp, appid or client_id) allowed when AllowedClients is set; a
// user token: a sub, delegated scopes, and no app-only marks (idtyp=app,
// roles without scp, sub equal to the client id); and one allowed scope
// when AllowedScopes is set. Header members jku, x5u, x5c and jwk are never
// used: keys come only from the discovery document's jwks_uri.
//
// Errors wrap one sentinel each (ErrExpired, ErrAudience, ...); their texts
// are fixed and safe for clients. No error message or log line contains a
// token; refusals are logged at debug level with a SHA-256 prefix.
package authorizer
