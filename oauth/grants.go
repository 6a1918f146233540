package oauth

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// Every grant method takes extra parameters that are added to the form but
// never override the grant's own parameters or the client's credentials
// (AgentCore's customParameters rule). Scopes are sent space-separated and
// omitted when empty.

func scopeParam(form url.Values, scopes []string) {
	if len(scopes) > 0 {
		form.Set("scope", strings.Join(scopes, " "))
	}
}

// JWTBearer runs the RFC 7523 jwt-bearer grant with assertion. For Microsoft
// Entra ID On-Behalf-Of pass extra = {"requested_token_use": {"on_behalf_of"}}.
func (c *Client) JWTBearer(ctx context.Context, tokenURL string, auth ClientAuth, assertion string, scopes []string, extra url.Values) (*Token, error) {
	if assertion == "" {
		return nil, errors.New("oauth: jwt-bearer: assertion is required")
	}
	form := url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {assertion}}
	scopeParam(form, scopes)
	return c.token(ctx, tokenURL, auth, form, extra)
}

// TokenExchangeRequest is the body of an RFC 8693 token exchange.
type TokenExchangeRequest struct {
	SubjectToken       string   // required
	SubjectTokenType   string   // required, e.g. TokenTypeJWT
	ActorToken         string   // optional
	ActorTokenType     string   // required when ActorToken is set
	RequestedTokenType string   // optional
	Audiences          []string // "audience", one parameter each
	Resources          []string // "resource", one parameter each
	Scopes             []string
}

// TokenExchange runs the RFC 8693 token-exchange grant.
func (c *Client) TokenExchange(ctx context.Context, tokenURL string, auth ClientAuth, req TokenExchangeRequest, extra url.Values) (*Token, error) {
	if req.SubjectToken == "" || req.SubjectTokenType == "" {
		return nil, errors.New("oauth: token exchange: subject_token and subject_token_type are required")
	}
	if req.ActorToken != "" && req.ActorTokenType == "" {
		return nil, errors.New("oauth: token exchange: actor_token_type is required with actor_token")
	}
	form := url.Values{
		"grant_type":         {GrantTypeTokenExchange},
		"subject_token":      {req.SubjectToken},
		"subject_token_type": {req.SubjectTokenType},
	}
	if req.ActorToken != "" {
		form.Set("actor_token", req.ActorToken)
		form.Set("actor_token_type", req.ActorTokenType)
	}
	if req.RequestedTokenType != "" {
		form.Set("requested_token_type", req.RequestedTokenType)
	}
	for _, a := range req.Audiences {
		form.Add("audience", a)
	}
	for _, r := range req.Resources {
		form.Add("resource", r)
	}
	scopeParam(form, req.Scopes)
	return c.token(ctx, tokenURL, auth, form, extra)
}

// ClientCredentials runs the client credentials grant (the client acting as
// itself; no user).
func (c *Client) ClientCredentials(ctx context.Context, tokenURL string, auth ClientAuth, scopes []string, extra url.Values) (*Token, error) {
	form := url.Values{"grant_type": {GrantTypeClientCredentials}}
	scopeParam(form, scopes)
	return c.token(ctx, tokenURL, auth, form, extra)
}

// Password runs the resource owner password credentials grant. It exists for
// development only (`onbehalf token` against the Entra emulator); the
// broker never uses it.
func (c *Client) Password(ctx context.Context, tokenURL string, auth ClientAuth, username, password string, scopes []string) (*Token, error) {
	if username == "" {
		return nil, errors.New("oauth: password grant: username is required")
	}
	form := url.Values{"grant_type": {GrantTypePassword}, "username": {username}, "password": {password}}
	scopeParam(form, scopes)
	return c.token(ctx, tokenURL, auth, form, nil)
}

// Refresh redeems a refresh token. The answer may carry a new refresh token;
// when it does not, the caller keeps using the old one.
func (c *Client) Refresh(ctx context.Context, tokenURL string, auth ClientAuth, refreshToken string, scopes []string) (*Token, error) {
	if refreshToken == "" {
		return nil, errors.New("oauth: refresh: refresh token is required")
	}
	form := url.Values{"grant_type": {GrantTypeRefreshToken}, "refresh_token": {refreshToken}}
	scopeParam(form, scopes)
	return c.token(ctx, tokenURL, auth, form, nil)
}
