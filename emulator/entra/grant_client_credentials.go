package entra

import (
	"net/http"
	"net/url"
	"strings"
)

// clientCredentialsGrant issues an app-only token to a confidential client.
// Entra accepts exactly one scope, "<resource>/.default"; the response has
// no "scope" member.
func (s *Server) clientCredentialsGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "scope"); e != nil {
		return nil, e
	}
	client, e := s.authenticateClient(r, form, true, res)
	if e != nil {
		return nil, e
	}
	raw := form.Get("scope")
	fields := strings.Fields(raw)
	if len(fields) > 1 {
		return nil, errInvalidScope(raw, "")
	}
	for _, f := range fields {
		if !strings.HasSuffix(f, "/.default") {
			return nil, errClientCredentialsScope(f)
		}
	}
	req, e := s.parseScope(raw)
	if e != nil {
		return nil, e
	}
	res.aud = req.resource.ClientID
	at, err := s.appAccessToken(client.app, req.resource)
	if err != nil {
		return nil, errServer()
	}
	return s.bearer(at, ""), nil
}
