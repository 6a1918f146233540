package entra

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// RFC 8693 token types the exchange accepts and issues.
const (
	TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeJWT         = "urn:ietf:params:oauth:token-type:jwt"
)

// tokenExchangeGrant is RFC 8693 token exchange in Okta's style: a
// confidential client presents a user's access token issued to it
// (subject_token, checked like an OBO assertion) and names the target API
// with audience (its client id or identifier URI) and/or scope; it gets a
// token for that API that still names the user. An optional actor_token
// (an app-only token of this tenant) makes the new token say who acts:
// act = {sub, client_id} of the actor, with the subject token's own act
// nested inside (outermost = current actor).
//
// Errors follow RFC 8693 §2.2.2: a missing or malformed parameter, and a
// subject or actor token that is invalid for any reason, is
// invalid_request; an audience or resource the tenant does not know is
// invalid_target; missing consent and an unknown user are invalid_grant.
// Bodies are Entra-shaped, with the AADSTS code Entra uses for the same
// fault in OBO.
func (s *Server) tokenExchangeGrant(r *http.Request, form url.Values, res *grantResult) (*tokenResponse, *aadError) {
	if e := requireParams(form, "subject_token", "subject_token_type"); e != nil {
		return nil, e
	}
	if !jwtTokenType(form.Get("subject_token_type")) {
		return nil, errUnsupportedTokenType("subject_token_type")
	}
	actor, actorType := form.Get("actor_token"), form.Get("actor_token_type")
	switch {
	case actor != "" && actorType == "":
		return nil, errMissingParam("actor_token_type")
	case actor == "" && actorType != "":
		return nil, errMissingParam("actor_token")
	case actor != "" && !jwtTokenType(actorType):
		return nil, errUnsupportedTokenType("actor_token_type")
	}
	if rt := form.Get("requested_token_type"); rt != "" && !jwtTokenType(rt) {
		return nil, errUnsupportedTokenType("requested_token_type")
	}
	subject := form.Get("subject_token")
	res.assertionHash = shortHash(subject)
	client, e := s.authenticateClient(r, form, true, res)
	if e != nil {
		return nil, e
	}
	req, e := s.exchangeTarget(form)
	if e != nil {
		return nil, e
	}

	claims, e := s.verifyAssertion(subject)
	if e == nil {
		e = s.checkAssertionTime(claims)
	}
	if e == nil {
		e = checkAssertionAudience(claims, client.app)
	}
	if e != nil {
		return nil, e.withError("invalid_request")
	}
	oid, _ := claims["oid"].(string)
	scp, _ := claims["scp"].(string)
	if idtyp, _ := claims["idtyp"].(string); idtyp == "app" || strings.TrimSpace(scp) == "" || oid == "" {
		return nil, errAssertionNotUserToken().withError("invalid_request")
	}
	prior, e := readAct(claims)
	if e != nil {
		return nil, e
	}
	act := prior
	if actor != "" {
		if act, e = s.actorClaim(actor, prior); e != nil {
			return nil, e
		}
	}

	user, granted, mfa, e := s.delegateFor(client.app, req, oid, claims, res)
	if e != nil {
		return nil, e
	}
	at, err := s.userAccessToken(user, client.app, client.azpacr, req.resource, granted, tokenExtra{mfa: mfa, act: act})
	if err != nil {
		return nil, errServer()
	}
	resp := s.bearer(at, req.responseScope(granted))
	resp.IssuedTokenType = TokenTypeAccessToken
	return resp, nil
}

func jwtTokenType(t string) bool { return t == TokenTypeAccessToken || t == TokenTypeJWT }

// exchangeTarget resolves audience, resource and scope to one resource
// app and the scopes asked of it. Scope names may be short ("read") when
// audience or resource names the API, or full ("api://x/read"). Without
// scope names every consented scope is asked for (like ".default").
func (s *Server) exchangeTarget(form url.Values) (*scopeRequest, *aadError) {
	var target *App
	var prefix string
	for _, t := range append(append([]string(nil), form["audience"]...), form["resource"]...) {
		if t == "" {
			continue
		}
		app := s.resources[strings.ToLower(t)]
		if app == nil {
			return nil, errInvalidTarget(t, s.tenant)
		}
		if target != nil && target != app {
			return nil, errTargetConflict()
		}
		if target == nil {
			target, prefix = app, t
		}
	}

	raw := form.Get("scope")
	var short, full []string
	for _, f := range strings.Fields(raw) {
		switch {
		case oidcScopes[strings.ToLower(f)]:
		case strings.Contains(f, "/"):
			full = append(full, f)
		default:
			short = append(short, f)
		}
	}
	req := &scopeRequest{raw: raw, resource: target, prefix: prefix}
	if len(full) > 0 {
		parsed, e := s.parseScope(strings.Join(full, " "))
		if e != nil {
			if e.err == "invalid_resource" {
				e = e.withError("invalid_target")
			}
			return nil, e
		}
		if target != nil && parsed.resource != target {
			return nil, errTargetConflict()
		}
		req = parsed
		req.raw = raw
	}
	if req.resource == nil {
		return nil, errMissingParam("audience")
	}
	for _, n := range short {
		canon, ok := lookupFold(req.resource.Scopes, n)
		if !ok {
			return nil, errInvalidScope(raw, "The scope '"+n+"' does not exist on the resource.")
		}
		if _, dup := lookupFold(req.names, canon); !dup {
			req.names = append(req.names, canon)
		}
	}
	if req.dflt && len(req.names) > 0 {
		return nil, errInvalidScope(raw, ".default scope can't be combined with resource-specific scopes.")
	}
	if len(req.names) == 0 {
		req.dflt = true
	}
	return req, nil
}

// readAct reads the delegation chain the subject token already carries.
func readAct(claims jwt.MapClaims) (*actClaim, *aadError) {
	v, ok := claims["act"]
	if !ok {
		return nil, nil
	}
	b, err := json.Marshal(v)
	var act actClaim
	if err != nil || json.Unmarshal(b, &act) != nil || act.Sub == "" {
		return nil, errAssertion("The act claim of the subject_token is not valid.").withError("invalid_request")
	}
	if act.depth() > maxActDepth {
		return nil, errActChainTooDeep()
	}
	return &act, nil
}

// actorClaim verifies the actor token (an app-only token of this tenant,
// within its validity) and returns the new act: the actor, with the prior
// chain nested inside.
func (s *Server) actorClaim(raw string, prior *actClaim) (*actClaim, *aadError) {
	claims, e := s.verifyAssertion(raw)
	if e == nil {
		e = s.checkAssertionTime(claims)
	}
	if e != nil {
		return nil, e.withError("invalid_request")
	}
	sub, _ := claims["sub"].(string)
	if idtyp, _ := claims["idtyp"].(string); idtyp != "app" || sub == "" {
		return nil, errActorNotApp()
	}
	if prior.depth() >= maxActDepth {
		return nil, errActChainTooDeep()
	}
	azp, _ := claims["azp"].(string)
	return &actClaim{Sub: sub, ClientID: azp, Act: prior}, nil
}
