package entra

import "net/http"

// discoveryDoc is Entra's v2.0 OpenID Provider metadata, field for field
// where the emulator serves the endpoint (Graph's userinfo, Kerberos and the
// device-code endpoint are left out).
type discoveryDoc struct {
	TokenEndpoint                     string   `json:"token_endpoint"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	JWKSURI                           string   `json:"jwks_uri"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ScopesSupported                   []string `json:"scopes_supported"`
	Issuer                            string   `json:"issuer"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	HTTPLogoutSupported               bool     `json:"http_logout_supported"`
	FrontchannelLogoutSupported       bool     `json:"frontchannel_logout_supported"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	ClaimsSupported                   []string `json:"claims_supported"`
	TenantRegionScope                 string   `json:"tenant_region_scope"`
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	multi, ok := s.tenantSegment(seg)
	if !ok {
		s.writeError(w, r, errTenantNotFound(seg))
		return
	}
	// Tenant-specific metadata names the tenant; the multi-tenant aliases
	// publish Entra's template, to be completed with the token's tid.
	issuer, tenant := s.issuer, s.tenant
	if multi {
		tenant = seg
		issuer = s.baseURL + "/{tenantid}/v2.0"
	}
	base := s.baseURL + "/" + tenant
	doc := discoveryDoc{
		TokenEndpoint:                     base + "/oauth2/v2.0/token",
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		JWKSURI:                           base + "/discovery/v2.0/keys",
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		SubjectTypesSupported:             []string{"pairwise"},
		IDTokenSigningAlgValuesSupported:  []string{"RS256"},
		ResponseTypesSupported:            []string{"code", "id_token", "code id_token", "id_token token"},
		ScopesSupported:                   []string{"openid", "profile", "email", "offline_access"},
		Issuer:                            issuer,
		AuthorizationEndpoint:             base + "/oauth2/v2.0/authorize",
		HTTPLogoutSupported:               true,
		FrontchannelLogoutSupported:       true,
		EndSessionEndpoint:                base + "/oauth2/v2.0/logout",
		ClaimsSupported: []string{"sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce",
			"preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"},
		TenantRegionScope: "NA",
	}
	writeJSON(w, http.StatusOK, doc, cacheable)
}

type jwksDoc struct {
	Keys []jwk `json:"keys"`
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request) {
	seg := r.PathValue("tenant")
	multi, ok := s.tenantSegment(seg)
	if !ok {
		s.writeError(w, r, errTenantNotFound(seg))
		return
	}
	issuer := s.issuer
	if multi {
		issuer = s.baseURL + "/{tenantid}/v2.0"
	}
	writeJSON(w, http.StatusOK, jwksDoc{Keys: []jwk{s.key.jwk(issuer)}}, cacheable)
}
