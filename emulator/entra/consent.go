package entra

import (
	"errors"
	"fmt"
	"strings"
)

// Errors of the run-time controls (GrantConsent, SetConditionalAccess, ...),
// wrapped with the offending value; test with errors.Is.
var (
	ErrUnknownApp   = errors.New("entra: no such app in the tenant")
	ErrUnknownUser  = errors.New("entra: no such user in the tenant")
	ErrUnknownScope = errors.New("entra: the resource exposes no such scope")
	ErrOwnAPI       = errors.New("entra: an app always has consent to its own API")
)

// consentKey names an admin consent: client app -> resource app, both
// lower-case client ids.
type consentKey struct{ client, resource string }

// consented is a copy of the scopes client holds on resource.
func (s *Server) consented(client, resource *App) []string {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	return append([]string(nil), s.st.consent[consentKey{strings.ToLower(client.ClientID), strings.ToLower(resource.ClientID)}]...)
}

// consentPair resolves a client id and a resource (client id or
// identifier URI) to two distinct apps.
func (s *Server) consentPair(clientID, resource string) (*App, *App, error) {
	client := s.apps[strings.ToLower(clientID)]
	if client == nil {
		return nil, nil, fmt.Errorf("%w: client %q", ErrUnknownApp, clientID)
	}
	res := s.resources[strings.ToLower(resource)]
	if res == nil {
		return nil, nil, fmt.Errorf("%w: resource %q", ErrUnknownApp, resource)
	}
	if res == client {
		return nil, nil, fmt.Errorf("%w: %s", ErrOwnAPI, client.ClientID)
	}
	return client, res, nil
}

// GrantConsent records admin consent for the client app to call the
// resource app (client id or identifier URI) on behalf of every user, for
// the given delegated scopes, or for every scope the resource exposes when
// none are given. It adds to the consent the pair already had. Later token
// requests (OBO, token exchange, password, code, refresh) see it at once.
func (s *Server) GrantConsent(clientID, resource string, scopes ...string) error {
	client, res, err := s.consentPair(clientID, resource)
	if err != nil {
		return err
	}
	if len(scopes) == 0 {
		scopes = res.Scopes
	}
	canon := make([]string, 0, len(scopes))
	for _, sc := range scopes {
		c, ok := lookupFold(res.Scopes, sc)
		if !ok {
			return fmt.Errorf("%w: %q on %s", ErrUnknownScope, sc, res.ClientID)
		}
		canon = append(canon, c)
	}
	key := consentKey{strings.ToLower(client.ClientID), strings.ToLower(res.ClientID)}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	cur := s.st.consent[key]
	for _, c := range canon {
		if _, dup := lookupFold(cur, c); !dup {
			cur = append(cur, c)
		}
	}
	s.st.consent[key] = cur
	return nil
}

// RevokeConsent removes every delegated permission the client app holds on
// the resource app (client id or identifier URI). OBO and token exchange
// for that resource then fail with AADSTS65001 (invalid_grant,
// consent_required), as do refreshes of its tokens.
func (s *Server) RevokeConsent(clientID, resource string) error {
	client, res, err := s.consentPair(clientID, resource)
	if err != nil {
		return err
	}
	s.stMu.Lock()
	defer s.stMu.Unlock()
	delete(s.st.consent, consentKey{strings.ToLower(client.ClientID), strings.ToLower(res.ClientID)})
	return nil
}
