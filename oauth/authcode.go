package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// GrantTypeAuthorizationCode is the authorization code grant (RFC 6749 §4.1).
const GrantTypeAuthorizationCode = "authorization_code"

// NewPKCEVerifier returns a fresh RFC 7636 code verifier: 43 characters of
// base64url from 32 random bytes.
func NewPKCEVerifier() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("oauth: pkce: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// PKCEChallenge is the S256 code challenge of verifier:
// base64url(sha256(verifier)).
func PKCEChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthCodeRequest is an authorization request (RFC 6749 §4.1.1) with PKCE
// (RFC 7636, S256 only).
type AuthCodeRequest struct {
	ClientID      string // required
	RedirectURI   string // required
	Scopes        []string
	State         string // required: the client's CSRF protection
	CodeChallenge string // required: PKCEChallenge(verifier)
	// Resources are RFC 8707 resource indicators, one parameter each.
	Resources []string
	// Audiences are sent as "audience" (Auth0, Okta and others), one each.
	Audiences []string
}

// AuthCodeURL returns the URL of the authorization endpoint the user's
// browser visits. extra parameters are added (after any the endpoint URL
// already carries) but never replace the request's own.
func AuthCodeURL(authorizationEndpoint string, req AuthCodeRequest, extra url.Values) (string, error) {
	u, err := url.Parse(authorizationEndpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("oauth: authorization endpoint %q is not an absolute http(s) URL", endpointName(authorizationEndpoint))
	}
	if req.ClientID == "" || req.RedirectURI == "" || req.State == "" || req.CodeChallenge == "" {
		return "", errors.New("oauth: authorization request needs client id, redirect URI, state and code challenge")
	}
	q := url.Values{
		"client_id":             {req.ClientID},
		"response_type":         {"code"},
		"redirect_uri":          {req.RedirectURI},
		"state":                 {req.State},
		"code_challenge":        {req.CodeChallenge},
		"code_challenge_method": {"S256"},
	}
	scopeParam(q, req.Scopes)
	for _, r := range req.Resources {
		q.Add("resource", r)
	}
	for _, a := range req.Audiences {
		q.Add("audience", a)
	}
	for k, vs := range extra {
		if k == "" || q.Has(k) || isReserved(k) {
			continue
		}
		for _, v := range vs {
			q.Add(k, v)
		}
	}
	// Keep the endpoint's own query (e.g. Azure B2C's p=policy) in front.
	if u.RawQuery != "" {
		u.RawQuery += "&" + q.Encode()
	} else {
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// AuthorizationCode redeems an authorization code with its PKCE verifier
// (RFC 6749 §4.1.3, RFC 7636 §4.5). It is never retried: a code is
// single-use.
func (c *Client) AuthorizationCode(ctx context.Context, tokenURL string, auth ClientAuth, code, redirectURI, codeVerifier string, extra url.Values) (*Token, error) {
	if code == "" || redirectURI == "" || codeVerifier == "" {
		return nil, errors.New("oauth: authorization code grant: code, redirect URI and code verifier are required")
	}
	if strings.ContainsAny(codeVerifier, " \t\r\n") {
		return nil, errors.New("oauth: authorization code grant: malformed code verifier")
	}
	form := url.Values{
		"grant_type":    {GrantTypeAuthorizationCode},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {codeVerifier},
	}
	return c.tokenRequest(ctx, tokenURL, auth, form, extra, false)
}
