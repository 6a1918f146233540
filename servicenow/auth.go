package servicenow

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
)

// TokenSource gives the bearer token (Token B) for the user the request is
// made for. Implementations derive the user from ctx and must never serve
// one user's token to another.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenFunc adapts a function to a TokenSource.
type TokenFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a TokenSource that always gives the same token. For tests
// and single-user command-line use only.
func StaticToken(token string) TokenSource {
	return TokenFunc(func(context.Context) (string, error) { return token, nil })
}

// BasicAuth returns a Client.Auth function that signs requests with HTTP
// Basic credentials. It is for administration and tests against an
// emulator: calls made with it act as that ServiceNow account, not as the
// signed-in user.
func BasicAuth(user, password string) func(*http.Request) error {
	return func(r *http.Request) error {
		r.SetBasicAuth(user, password)
		return nil
	}
}

// secretsOf lists the credential material in r's Authorization header, so
// that error messages echoing it can be redacted.
func secretsOf(r *http.Request) []string {
	h := r.Header.Get("Authorization")
	scheme, cred, ok := strings.Cut(h, " ")
	if !ok {
		if h == "" {
			return nil
		}
		return []string{h}
	}
	out := []string{cred}
	if strings.EqualFold(scheme, "Basic") {
		if raw, err := base64.StdEncoding.DecodeString(cred); err == nil {
			if _, pass, ok := strings.Cut(string(raw), ":"); ok {
				out = append(out, pass)
			}
		}
	}
	return out
}

// Refresher is a TokenSource that can also get a new token, bypassing any
// cache: for the ServiceNow connector, a fresh On-Behalf-Of exchange
// (identity's forceAuthentication). When ServiceNow answers 401, Client
// calls ForceToken once per operation and retries with the new token; a
// second 401 is returned as ErrUnauthorized ("please sign in again").
// ForceToken must, like Token, derive the user from ctx.
type Refresher interface {
	TokenSource
	ForceToken(ctx context.Context) (string, error)
}
