package authorizer

import (
	"fmt"
	"net/http"
	"strings"
)

// BearerToken extracts the token from an "Authorization: Bearer <token>"
// header (RFC 6750 §2.1; the scheme is matched case-insensitively).
//
// It returns an error wrapping ErrMissingToken when the request carries no
// Authorization header or one with another scheme (RFC 6750 §3.1: a request
// without bearer credentials gets a challenge without an error code), and
// ErrMalformed when the header names Bearer but the token is empty or has
// characters a bearer token cannot have, or the header is repeated.
func BearerToken(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", fmt.Errorf("authorizer: %w: no Authorization header", ErrMissingToken)
	case 1:
	default:
		return "", fmt.Errorf("authorizer: %w: %d Authorization headers", ErrMalformed, len(values))
	}
	v := strings.TrimSpace(values[0])
	scheme, rest, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", fmt.Errorf("authorizer: %w: Authorization scheme is not Bearer", ErrMissingToken)
	}
	token := strings.TrimSpace(rest)
	if token == "" {
		return "", fmt.Errorf("authorizer: %w: empty bearer token", ErrMalformed)
	}
	if !isB64Token(token) {
		return "", fmt.Errorf("authorizer: %w: bearer token has characters outside RFC 6750 b64token", ErrMalformed)
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	body := strings.TrimRight(s, "=")
	if body == "" {
		return false
	}
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '.', c == '_', c == '~', c == '+', c == '/':
		default:
			return false
		}
	}
	return true
}
