package entra

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// oboGrant is the On-Behalf-Of flow: grant_type=jwt-bearer with
// requested_token_use=on_behalf_of. A confidential client presents a user's
// access token issued to it (the assertion) and receives a token for a
// downstream API that still names the user. Checks run in Entra's order:
// client, assertion signature and issuer, validity time, audience, token
// kind, scope, consent, user, Conditional Access.
func (s *Server) oboGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "assertion", "scope", "requested_token_use"); e != nil {
		return nil, e
	}
	if form.Get("requested_token_use") != "on_behalf_of" {
		return nil, errInvalidParam("requested_token_use")
	}
	assertion := form.Get("assertion")
	res.assertionHash = shortHash(assertion)
	client, e := s.authenticateClient(r, form, true, res)
	if e != nil {
		return nil, e
	}
	claims, e := s.verifyAssertion(assertion)
	if e != nil {
		return nil, e
	}
	if e := s.checkAssertionTime(claims); e != nil {
		return nil, e
	}
	if e := checkAssertionAudience(claims, client.app); e != nil {
		return nil, e
	}
	oid, _ := claims["oid"].(string)
	scp, _ := claims["scp"].(string)
	idtyp, _ := claims["idtyp"].(string)
	if idtyp == "app" || strings.TrimSpace(scp) == "" || oid == "" {
		return nil, errAssertionNotUserToken()
	}
	req, e := s.parseScope(form.Get("scope"))
	if e != nil {
		return nil, e
	}
	user, granted, mfa, e := s.delegateFor(client.app, req, oid, claims, res)
	if e != nil {
		return nil, e
	}
	at, err := s.userAccessToken(user, client.app, client.azpacr, req.resource, granted, tokenExtra{mfa: mfa})
	if err != nil {
		return nil, errServer()
	}
	resp := s.bearer(at, req.responseScope(granted))
	if req.wantsOIDC("offline_access") {
		// The middle tier's refresh token for the downstream API: bound to
		// it, the user and the granted scopes.
		resp.RefreshToken = s.issueRefreshToken(&refreshRec{
			user: user, client: client.app, req: req, scopes: granted, mfa: mfa,
		})
	}
	return resp, nil
}

var errKeyNotFound = errors.New("entra: signing key not found")

// verifyAssertion checks that the assertion is an RS256 JWT signed with
// this tenant's key and issued by this tenant. Time and audience are
// checked afterwards, each with its own error.
func (s *Server) verifyAssertion(raw string) (jwt.MapClaims, *aadError) {
	parser := jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != s.key.kid {
			return nil, errKeyNotFound
		}
		return &s.key.priv.PublicKey, nil
	})
	switch {
	case err == nil:
	case errors.Is(err, errKeyNotFound):
		return nil, errAssertion("The key was not found.")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, errAssertion("The assertion is not a well-formed JWT.")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, errAssertion("Key was found, but use of the key to verify the signature failed.")
	default:
		return nil, errAssertion("The assertion could not be validated.")
	}
	if iss, _ := claims["iss"].(string); iss != s.issuer {
		return nil, errAssertion("The assertion was not issued by this tenant.")
	}
	return claims, nil
}

// checkAssertionTime applies the assertion's exp and nbf with no skew, as
// Entra does for exp.
func (s *Server) checkAssertionTime(claims jwt.MapClaims) *aadError {
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return errAssertion("The assertion has no valid expiry.")
	}
	now := s.now()
	if !now.Before(exp.Time) {
		return errAssertionExpired(now, exp.Time)
	}
	if nbf, err := claims.GetNotBefore(); err != nil || (nbf != nil && now.Before(nbf.Time)) {
		return errAssertionExpired(now, exp.Time)
	}
	return nil
}

// checkAssertionAudience requires the assertion to be issued to the calling
// client: its aud is the client id or one of its identifier URIs.
func checkAssertionAudience(claims jwt.MapClaims, client *App) *aadError {
	aud, err := claims.GetAudience()
	got := strings.Join(aud, " ")
	if err != nil || len(aud) != 1 {
		return errAssertionAudience(got, client.ClientID)
	}
	if strings.EqualFold(aud[0], client.ClientID) {
		return nil
	}
	if _, ok := lookupFold(client.IdentifierURIs, aud[0]); ok {
		return nil
	}
	return errAssertionAudience(got, client.ClientID)
}

// delegateFor is what OBO and token exchange share once the user's token
// is verified: the scopes the client was granted on the resource, the
// user the token names, and the Conditional Access check (whose
// interaction_required the middle tier hands back to the client).
func (s *Server) delegateFor(client *App, req *scopeRequest, oid string, claims jwt.MapClaims, res *grantResult) (*User, []string, bool, *aadError) {
	granted, e := s.grantDelegated(client, req)
	if e != nil {
		return nil, nil, false, e
	}
	user := s.usersOID[strings.ToLower(oid)]
	if user == nil {
		return nil, nil, false, errUserNotFound(s.tenant)
	}
	res.user, res.aud = user.ObjectID, req.resource.ClientID
	mfa := hasMFA(claims)
	if e := s.checkConditionalAccess("interaction_required", user, client, req.resource, mfa); e != nil {
		return nil, nil, false, e
	}
	return user, granted, mfa, nil
}
