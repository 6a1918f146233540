package entra

import (
	"strings"
)

// scopeRequest is a parsed v2.0 scope parameter: delegated scopes of exactly
// one resource (as "<resource>/<name>" or "<resource>/.default", where
// <resource> is an identifier URI or the client id) plus OIDC scopes.
type scopeRequest struct {
	raw      string
	resource *App
	prefix   string   // the resource part as requested, e.g. "api://<id>"
	names    []string // requested scope names, in the resource's spelling
	dflt     bool     // <resource>/.default
	oidc     []string // openid, profile, email, offline_access
}

var oidcScopes = map[string]bool{"openid": true, "profile": true, "email": true, "offline_access": true}

const scopeFormatHint = "The scope format is invalid. Scope must be in a valid URI form https://example/scope or a valid Guid<guid/scope>."

// parseScope resolves raw against the tenant's apps. An empty scope is a
// missing parameter; a request naming only OIDC scopes would be a Microsoft
// Graph token at Entra, which the emulator does not have.
func (s *Server) parseScope(raw string) (*scopeRequest, *aadError) {
	fields := strings.Fields(raw)
	if len(fields) == 0 {
		return nil, errMissingParam("scope")
	}
	req := &scopeRequest{raw: raw}
	for _, f := range fields {
		if oidcScopes[strings.ToLower(f)] {
			req.oidc = append(req.oidc, strings.ToLower(f))
			continue
		}
		i := strings.LastIndex(f, "/")
		if i <= 0 || i == len(f)-1 {
			return nil, errInvalidScope(raw, scopeFormatHint)
		}
		res, name := f[:i], f[i+1:]
		app := s.resources[strings.ToLower(res)]
		if app == nil {
			return nil, errResourceNotFound(res, s.tenant)
		}
		if req.resource != nil && req.resource != app {
			return nil, errMultipleResources(raw)
		}
		if req.resource == nil {
			req.resource, req.prefix = app, res
		}
		if name == ".default" {
			req.dflt = true
			continue
		}
		canon, ok := lookupFold(app.Scopes, name)
		if !ok {
			return nil, errInvalidScope(raw, "The scope '"+f+"' does not exist on the resource.")
		}
		if _, dup := lookupFold(req.names, canon); !dup {
			req.names = append(req.names, canon)
		}
	}
	if req.dflt && len(req.names) > 0 {
		return nil, errInvalidScope(raw, ".default scope can't be combined with resource-specific scopes.")
	}
	if req.resource == nil {
		return nil, errInvalidScope(raw, "This emulator has no Microsoft Graph: request a scope of an API registered in the tenant.")
	}
	return req, nil
}

// grantDelegated returns the scopes client gets on req.resource for a user.
// An app may always use its own API (the user consents to it at sign-in);
// any other resource needs the admin consent recorded for the pair (from
// App.Permissions, changed by GrantConsent and RevokeConsent). .default
// means every consented scope.
func (s *Server) grantDelegated(client *App, req *scopeRequest) ([]string, *aadError) {
	var allowed []string
	if client == req.resource {
		allowed = req.resource.Scopes
	} else {
		allowed = s.consented(client, req.resource)
	}
	if req.dflt {
		if len(allowed) == 0 {
			return nil, errNotConsented(client)
		}
		granted := make([]string, 0, len(allowed))
		for _, a := range allowed {
			if canon, ok := lookupFold(req.resource.Scopes, a); ok {
				granted = append(granted, canon)
			}
		}
		return granted, nil
	}
	for _, n := range req.names {
		if _, ok := lookupFold(allowed, n); !ok {
			return nil, errNotConsented(client)
		}
	}
	return req.names, nil
}

// responseScope is the "scope" of a success response: the granted scopes
// in full form, with the resource spelled as requested.
func (req *scopeRequest) responseScope(granted []string) string {
	full := make([]string, len(granted))
	for i, g := range granted {
		full[i] = req.prefix + "/" + g
	}
	return strings.Join(full, " ")
}

func (req *scopeRequest) wantsOIDC(scope string) bool {
	for _, o := range req.oidc {
		if o == scope {
			return true
		}
	}
	return false
}

func lookupFold(list []string, s string) (string, bool) {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return v, true
		}
	}
	return "", false
}
