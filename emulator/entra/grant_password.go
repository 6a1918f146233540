package entra

import (
	"net/http"
	"net/url"
	"strings"
)

// passwordGrant is ROPC (grant_type=password): a user token for a
// directory user, issued to a public or an authenticated confidential
// client. With "openid" in scope an ID token comes too.
func (s *Server) passwordGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "username", "password", "scope"); e != nil {
		return nil, e
	}
	client, e := s.authenticateClient(r, form, false, res)
	if e != nil {
		return nil, e
	}
	user := s.usersUPN[strings.ToLower(form.Get("username"))]
	if user == nil {
		return nil, errUserNotFound(s.tenant)
	}
	if !secretEqual(form.Get("password"), user.Password) {
		return nil, errBadPassword()
	}
	res.user = user.ObjectID
	req, e := s.parseScope(form.Get("scope"))
	if e != nil {
		return nil, e
	}
	granted, e := s.grantDelegated(client.app, req)
	if e != nil {
		return nil, e
	}
	res.aud = req.resource.ClientID
	if e := s.checkConditionalAccess("invalid_grant", user, client.app, req.resource, false); e != nil {
		return nil, e
	}
	at, err := s.userAccessToken(user, client.app, client.azpacr, req.resource, granted, tokenExtra{})
	if err != nil {
		return nil, errServer()
	}
	resp := s.bearer(at, req.responseScope(granted))
	if req.wantsOIDC("openid") {
		if resp.IDToken, err = s.idToken(user, client.app, "", false); err != nil {
			return nil, errServer()
		}
	}
	if req.wantsOIDC("offline_access") {
		resp.RefreshToken = s.issueRefreshToken(&refreshRec{
			user: user, client: client.app, req: req, scopes: granted, openid: req.wantsOIDC("openid"),
		})
	}
	return resp, nil
}
