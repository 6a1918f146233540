package oauth

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
)

// AuthMethod is how the client authenticates to the token endpoint
// (RFC 8414 token_endpoint_auth_methods_supported values).
type AuthMethod string

const (
	// AuthSecretBasic sends HTTP Basic with the url-encoded client id and
	// secret (RFC 6749 §2.3.1).
	AuthSecretBasic AuthMethod = "client_secret_basic"
	// AuthSecretPost sends client_id and client_secret in the form body.
	AuthSecretPost AuthMethod = "client_secret_post"
	// AuthNone sends only client_id (a public client).
	AuthNone AuthMethod = "none"
)

// ClientAuth identifies the client at the token endpoint. An empty Method
// means client_secret_post (what Entra ID documents), or none when
// ClientSecret is empty.
type ClientAuth struct {
	ClientID     string
	ClientSecret string
	Method       AuthMethod
}

// String never prints the secret.
func (a ClientAuth) String() string {
	return fmt.Sprintf("oauth.ClientAuth{id=%q method=%q secret=%t}", a.ClientID, a.method(), a.ClientSecret != "")
}

func (a ClientAuth) method() AuthMethod {
	if a.Method != "" {
		return a.Method
	}
	if a.ClientSecret == "" {
		return AuthNone
	}
	return AuthSecretPost
}

// apply puts the client's credentials on the request form or header.
func (a ClientAuth) apply(form url.Values, h http.Header) error {
	if a.ClientID == "" {
		return fmt.Errorf("oauth: client id is required")
	}
	switch a.method() {
	case AuthSecretBasic:
		// RFC 6749 §2.3.1: both are form-url-encoded before Basic encoding.
		cred := url.QueryEscape(a.ClientID) + ":" + url.QueryEscape(a.ClientSecret)
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	case AuthSecretPost:
		form.Set("client_id", a.ClientID)
		form.Set("client_secret", a.ClientSecret)
	case AuthNone:
		form.Set("client_id", a.ClientID)
	default:
		return fmt.Errorf("oauth: unsupported client authentication method %q", a.Method)
	}
	return nil
}

// reservedParams are never taken from a caller's extra parameters, even
// when the chosen auth method does not send them.
var reservedParams = []string{"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type"}
