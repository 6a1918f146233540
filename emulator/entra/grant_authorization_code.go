package entra

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// codeLifetime is how long an authorization code can be redeemed (Entra:
// about 10 minutes).
const codeLifetime = 10 * time.Minute

// authCode is what the server keeps, under the code's SHA-256, about an
// authorization code until it expires.
type authCode struct {
	user      *User
	client    *App
	redirect  string
	spaOrigin string // "" unless the redirect URI is an SPA one
	req       *scopeRequest
	scopes    []string // granted
	nonce     string
	challenge string // S256 code_challenge, "" without PKCE
	mfa       bool
	signIn    time.Time
	expires   time.Time
	redeemed  bool
}

// issueCode stores c and returns the code.
func (s *Server) issueCode(c *authCode) string {
	now := s.now()
	c.expires = now.Add(codeLifetime)
	code := randomToken("1.A", 48)
	s.stMu.Lock()
	defer s.stMu.Unlock()
	makeRoom(s.st.codes, func(c *authCode) bool { return !now.Before(c.expires) })
	s.st.codes[storeKey(code)] = c
	return code
}

// takeCode finds a code and marks it redeemed: every redemption attempt
// uses the code up, whatever its outcome, so that a wrong code_verifier
// cannot be retried.
func (s *Server) takeCode(code string) (*authCode, *aadError) {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	c := s.st.codes[storeKey(code)]
	switch {
	case c == nil:
		return nil, errCodeInvalid("The authorization code is not valid.")
	case c.redeemed:
		return nil, errCodeRedeemed()
	}
	c.redeemed = true
	if !s.now().Before(c.expires) {
		return nil, errGrantExpired()
	}
	return c, nil
}

// verifierRE is RFC 7636's code_verifier: 43 to 128 unreserved characters.
var verifierRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// spaOriginFor is the origin of redirectURI if it is one of app's SPA
// redirect URIs, else "".
func spaOriginFor(app *App, redirectURI string) string {
	for _, u := range app.SPARedirectURIs {
		if u == redirectURI {
			return originOf(u)
		}
	}
	return ""
}

// authorizationCodeGrant redeems a code from the sign-in page. The code is
// single-use and bound to the client, the redirect URI and (with PKCE) the
// code_verifier. Codes issued through an SPA redirect URI are redeemed
// cross-origin by a public client; others by the app as usual.
func (s *Server) authorizationCodeGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "code", "redirect_uri"); e != nil {
		return nil, e
	}
	app, e := s.lookupClient(r, form, res)
	if e != nil {
		return nil, e
	}
	redirect := form.Get("redirect_uri")
	spaOrigin := spaOriginFor(app, redirect)
	if e := checkOrigin(r, spaOrigin); e != nil {
		return nil, e
	}
	client, e := s.redeemingClient(r, form, spaOrigin != "", res)
	if e != nil {
		return nil, e
	}
	c, e := s.takeCode(form.Get("code"))
	if e != nil {
		return nil, e
	}
	res.user = c.user.ObjectID
	switch {
	case c.client != client.app:
		return nil, errCodeInvalid("The authorization code was issued to another client.")
	case c.redirect != redirect:
		return nil, errCodeRedirectMismatch(redirect)
	}
	verifier := form.Get("code_verifier")
	if c.challenge != "" {
		if verifier == "" {
			return nil, errMissingParam("code_verifier")
		}
		if !verifierRE.MatchString(verifier) || !secretEqual(s256(verifier), c.challenge) {
			return nil, errPKCEMismatch()
		}
	} else if form.Has("code_verifier") {
		return nil, errPKCEMismatch() // a verifier for a request that had no challenge
	}
	res.aud = c.req.resource.ClientID
	if _, e := s.grantDelegated(client.app, &scopeRequest{resource: c.req.resource, names: c.scopes}); e != nil {
		return nil, e // consent revoked since the sign-in
	}
	if e := s.checkConditionalAccess("invalid_grant", c.user, client.app, c.req.resource, c.mfa); e != nil {
		return nil, e
	}
	at, err := s.userAccessToken(c.user, client.app, client.azpacr, c.req.resource, c.scopes, tokenExtra{mfa: c.mfa})
	if err != nil {
		return nil, errServer()
	}
	resp := s.bearer(at, c.req.responseScope(c.scopes))
	openid := c.req.wantsOIDC("openid")
	if openid {
		if resp.IDToken, err = s.idToken(c.user, client.app, c.nonce, c.mfa); err != nil {
			return nil, errServer()
		}
	}
	if c.req.wantsOIDC("offline_access") {
		resp.RefreshToken = s.issueRefreshToken(&refreshRec{
			user: c.user, client: client.app, req: c.req, scopes: c.scopes, openid: openid,
			mfa: c.mfa, spaOrigin: c.spaOrigin, signIn: c.signIn,
		})
	}
	return resp, nil
}

// isRegisteredRedirect reports whether uri is one of app's redirect URIs
// of any platform. Matching is exact, as Entra's is for non-loopback URIs.
func isRegisteredRedirect(app *App, uri string) bool {
	for _, list := range [][]string{app.RedirectURIs, app.SPARedirectURIs} {
		for _, u := range list {
			if u == uri {
				return true
			}
		}
	}
	return false
}

func trimTo(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return strings.Clone(s)
}
