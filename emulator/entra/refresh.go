package entra

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Refresh tokens are opaque random strings. The server keeps, under the
// token's SHA-256, what it was issued for: the user, the client, the
// resource and granted scopes, whether the sign-in did MFA, and whether it
// came through an SPA redirect URI (then it must be redeemed from that
// origin, without a secret, within 24 hours of the sign-in). Each
// redemption rotates it: the answer carries a new refresh token and the
// old one is dead (AADSTS70000). RevokeRefreshTokens bumps the user's
// token generation, which kills every refresh token and browser session
// issued before (AADSTS50173).
type refreshRec struct {
	user      *User
	client    *App
	req       *scopeRequest // resource and its spelling
	scopes    []string      // granted scopes
	openid    bool          // an ID token accompanies refreshes
	mfa       bool
	spaOrigin string // "" unless issued through an SPA redirect URI
	gen       int
	signIn    time.Time // of the sign-in the chain started with
	issued    time.Time // of this token
	expires   time.Time
	rotated   bool
}

// issueRefreshToken stores rec (setting its generation and times) and
// returns the new refresh token.
func (s *Server) issueRefreshToken(rec *refreshRec) string {
	now := s.now()
	rec.issued = now
	if rec.signIn.IsZero() {
		rec.signIn = now
	}
	if rec.spaOrigin != "" {
		rec.expires = rec.signIn.Add(SPARefreshTokenLifetime)
	} else {
		rec.expires = now.Add(s.rtLifetime)
	}
	tok := randomToken("1.A", 48)
	s.stMu.Lock()
	defer s.stMu.Unlock()
	rec.gen = s.st.gen[strings.ToLower(rec.user.ObjectID)]
	makeRoom(s.st.refresh, func(r *refreshRec) bool { return !now.Before(r.expires) })
	s.st.refresh[storeKey(tok)] = rec
	return tok
}

// RevokeRefreshTokens is Microsoft Graph's revokeSignInSessions for the
// user: every refresh token issued so far, and every browser session of
// the sign-in page, stops working. Access tokens stay valid until they
// expire, as at Entra. Refreshing then fails with AADSTS50173.
func (s *Server) RevokeRefreshTokens(upn string) error {
	u := s.usersUPN[strings.ToLower(upn)]
	if u == nil {
		return fmt.Errorf("%w: %q", ErrUnknownUser, upn)
	}
	now := s.now()
	s.stMu.Lock()
	defer s.stMu.Unlock()
	s.st.gen[strings.ToLower(u.ObjectID)]++
	s.st.validFrom[strings.ToLower(u.ObjectID)] = now
	return nil
}

// checkOrigin applies Entra's rules on where a grant issued through an SPA
// redirect URI (spaOrigin) may be redeemed: cross-origin from that origin
// only, and nothing else cross-origin.
func checkOrigin(r *http.Request, spaOrigin string) *aadError {
	o := r.Header.Get("Origin")
	switch {
	case spaOrigin == "" && o != "":
		return errCrossOriginNotSPA()
	case spaOrigin != "" && o == "":
		return errSPANeedsCrossOrigin()
	case spaOrigin != "" && o != spaOrigin:
		if len(o) > 200 {
			o = o[:200]
		}
		return errSPAOriginMismatch(o)
	}
	return nil
}

// redeemingClient identifies the client of a code or refresh-token
// redemption. Through an SPA redirect URI the client is public (a browser
// keeps no secret): a secret is refused and azpacr is "0". Otherwise the
// usual client authentication applies (a confidential app must prove its
// secret, a public one must send none).
func (s *Server) redeemingClient(r *http.Request, form url.Values, spa bool, res *grantResult) (*authenticatedClient, *aadError) {
	if !spa {
		return s.authenticateClient(r, form, false, res)
	}
	app, e := s.lookupClient(r, form, res)
	if e != nil {
		return nil, e
	}
	if _, _, basic := r.BasicAuth(); basic || form.Has("client_secret") || form.Has("client_assertion") {
		return nil, errPublicClientCredential()
	}
	return &authenticatedClient{app: app, azpacr: "0"}, nil
}

// lookupClient finds the app named by client_id (or HTTP Basic) without
// authenticating it.
func (s *Server) lookupClient(r *http.Request, form url.Values, res *grantResult) (*App, *aadError) {
	clientID := form.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok && clientID == "" {
		if id, err := url.QueryUnescape(user); err == nil {
			clientID = id
		}
	}
	if clientID == "" {
		return nil, errMissingParam("client_id")
	}
	res.client = clientID
	app := s.apps[strings.ToLower(clientID)]
	if app == nil {
		return nil, errAppNotFound(clientID, s.tenant)
	}
	res.client = app.ClientID
	return app, nil
}

// refreshTokenGrant redeems a refresh token for a new access token (same
// user, client and resource; the scopes or a subset) and a new refresh
// token. Checks: client, browser origin, token state (rotated, revoked,
// expired), scope, consent, Conditional Access.
func (s *Server) refreshTokenGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "refresh_token"); e != nil {
		return nil, e
	}
	key := storeKey(form.Get("refresh_token"))
	s.stMu.Lock()
	rec := s.st.refresh[key]
	s.stMu.Unlock()

	app, e := s.lookupClient(r, form, res)
	if e != nil {
		return nil, e
	}
	if rec == nil {
		return nil, errCodeInvalid("The refresh token is not valid.")
	}
	if rec.client != app {
		return nil, errCodeInvalid("The refresh token was issued to another client.")
	}
	if e := checkOrigin(r, rec.spaOrigin); e != nil {
		return nil, e
	}
	client, e := s.redeemingClient(r, form, rec.spaOrigin != "", res)
	if e != nil {
		return nil, e
	}
	res.user, res.aud = rec.user.ObjectID, rec.req.resource.ClientID
	if e := s.refreshState(rec); e != nil {
		return nil, e
	}

	names, openid, e := refreshScopes(s, rec, form.Get("scope"))
	if e != nil {
		return nil, e
	}
	if _, e := s.grantDelegated(client.app, &scopeRequest{resource: rec.req.resource, names: names}); e != nil {
		return nil, e
	}
	if e := s.checkConditionalAccess("invalid_grant", rec.user, client.app, rec.req.resource, rec.mfa); e != nil {
		return nil, e
	}

	// Rotate: the old token dies now (a concurrent redemption that got
	// here first wins).
	s.stMu.Lock()
	if rec.rotated {
		s.stMu.Unlock()
		return nil, errRefreshRotated()
	}
	rec.rotated = true
	s.stMu.Unlock()

	at, err := s.userAccessToken(rec.user, client.app, client.azpacr, rec.req.resource, names, tokenExtra{mfa: rec.mfa})
	if err != nil {
		return nil, errServer()
	}
	resp := s.bearer(at, rec.req.responseScope(names))
	if openid {
		if resp.IDToken, err = s.idToken(rec.user, client.app, "", rec.mfa); err != nil {
			return nil, errServer()
		}
	}
	next := *rec
	next.rotated = false
	resp.RefreshToken = s.issueRefreshToken(&next)
	return resp, nil
}

// refreshState reports a rotated, revoked or expired refresh token.
func (s *Server) refreshState(rec *refreshRec) *aadError {
	now := s.now()
	oid := strings.ToLower(rec.user.ObjectID)
	s.stMu.Lock()
	rotated, gen, validFrom := rec.rotated, s.st.gen[oid], s.st.validFrom[oid]
	s.stMu.Unlock()
	switch {
	case rotated:
		return errRefreshRotated()
	case rec.gen != gen:
		return errRefreshRevoked(rec.issued, validFrom)
	case !now.Before(rec.expires) && rec.spaOrigin != "":
		return errSPARefreshExpired(rec.signIn)
	case !now.Before(rec.expires):
		return errRefreshExpired(rec.issued, now.Sub(rec.issued))
	}
	return nil
}

// refreshScopes resolves the scope of a refresh request against what the
// token was issued for: none (or only OIDC scopes) means all of it;
// otherwise the same resource and a subset of the scopes. openid reports
// whether an ID token is due.
func refreshScopes(s *Server, rec *refreshRec, raw string) ([]string, bool, *aadError) {
	var resourceScopes, oidc []string
	for _, f := range strings.Fields(raw) {
		if oidcScopes[strings.ToLower(f)] {
			oidc = append(oidc, strings.ToLower(f))
		} else {
			resourceScopes = append(resourceScopes, f)
		}
	}
	if len(resourceScopes) == 0 {
		openid := rec.openid && (len(oidc) == 0 || containsString(oidc, "openid"))
		return rec.scopes, openid, nil
	}
	req, e := s.parseScope(raw)
	if e != nil {
		return nil, false, e
	}
	if req.resource != rec.req.resource {
		return nil, false, errRefreshScope(raw)
	}
	if req.dflt {
		return rec.scopes, rec.openid && req.wantsOIDC("openid"), nil
	}
	for _, n := range req.names {
		if _, ok := lookupFold(rec.scopes, n); !ok {
			return nil, false, errRefreshScope(raw)
		}
	}
	return req.names, rec.openid && req.wantsOIDC("openid"), nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
