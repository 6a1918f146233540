package authorizer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what Verify found in a valid token.
type Claims struct {
	Issuer  string // iss
	Subject string // sub (Entra: pairwise per app)
	// ClientID is the client the token was issued to: azp (Entra v2),
	// appid (Entra v1) or client_id (RFC 9068), first present.
	ClientID string
	TenantID string // tid (Entra)
	ObjectID string // oid (Entra: the user's stable id across apps)
	// PreferredUsername is preferred_username, else upn (Entra v1). It is
	// mutable: display it and map it downstream, never authorize on it;
	// identify the user by Issuer+Subject (Entra: TenantID+ObjectID).
	PreferredUsername string
	Name              string   // name
	Audience          []string // aud
	// Scopes are the delegated scopes: scp or scope, split on spaces when a
	// string (Entra, RFC 9068), taken as is when an array (Okta).
	Scopes    []string
	ExpiresAt time.Time // exp
	IssuedAt  time.Time // iat; zero when absent
	NotBefore time.Time // nbf; zero when absent
	// Raw holds every claim as decoded from JSON, numbers as json.Number.
	Raw map[string]any
}

// claimsFrom reads the registered and Entra claims out of a decoded
// payload. A claim of the wrong JSON type is ErrMalformed; a missing exp
// is ErrMissingExpiry.
func claimsFrom(m jwt.MapClaims) (*Claims, error) {
	c := &Claims{Raw: map[string]any(m)}
	var err error
	bad := func(name string) error {
		return fmt.Errorf("%w: claim %s has the wrong type", ErrMalformed, name)
	}
	if c.Issuer, err = m.GetIssuer(); err != nil {
		return nil, bad("iss")
	}
	if c.Subject, err = m.GetSubject(); err != nil {
		return nil, bad("sub")
	}
	aud, err := m.GetAudience()
	if err != nil {
		return nil, bad("aud")
	}
	c.Audience = []string(aud)
	exp, err := m.GetExpirationTime()
	if err != nil {
		return nil, bad("exp")
	}
	if exp == nil {
		return nil, fmt.Errorf("%w: no exp claim", ErrMissingExpiry)
	}
	c.ExpiresAt = exp.Time
	if iat, err := m.GetIssuedAt(); err != nil {
		return nil, bad("iat")
	} else if iat != nil {
		c.IssuedAt = iat.Time
	}
	if nbf, err := m.GetNotBefore(); err != nil {
		return nil, bad("nbf")
	} else if nbf != nil {
		c.NotBefore = nbf.Time
	}
	strs := []struct {
		dst   *string
		names []string
	}{
		{&c.ClientID, []string{"azp", "appid", "client_id"}},
		{&c.TenantID, []string{"tid"}},
		{&c.ObjectID, []string{"oid"}},
		{&c.PreferredUsername, []string{"preferred_username", "upn"}},
		{&c.Name, []string{"name"}},
	}
	for _, s := range strs {
		for _, name := range s.names {
			v, present, ok := stringClaim(m, name)
			if !ok {
				return nil, bad(name)
			}
			if present && v != "" {
				*s.dst = v
				break
			}
		}
	}
	for _, name := range []string{"scp", "scope"} {
		list, present, ok := listClaim(m, name)
		if !ok {
			return nil, bad(name)
		}
		if present {
			c.Scopes = list
			break
		}
	}
	return c, nil
}

// stringClaim returns claim name as a string; ok is false when it is
// present with another type.
func stringClaim(m jwt.MapClaims, name string) (v string, present, ok bool) {
	raw, present := m[name]
	if !present || raw == nil {
		return "", false, true
	}
	v, ok = raw.(string)
	return v, true, ok
}

// listClaim reads a space-separated string or an array of strings.
func listClaim(m jwt.MapClaims, name string) (list []string, present, ok bool) {
	raw, present := m[name]
	if !present || raw == nil {
		return nil, false, true
	}
	switch v := raw.(type) {
	case string:
		return strings.Fields(v), true, true
	case []any:
		for _, e := range v {
			s, isString := e.(string)
			if !isString {
				return nil, true, false
			}
			list = append(list, s)
		}
		return list, true, true
	default:
		return nil, true, false
	}
}

// quoteClaim renders a value taken from a token or key set for an error
// message or log: quoted (so control characters cannot forge log lines) and
// cut to 128 bytes. Only non-secret identifiers (iss, aud, azp, kid, alg)
// are ever passed to it; never the token or a subject's personal data.
func quoteClaim(s string) string {
	const max = 128
	if len(s) > max {
		return strconv.Quote(s[:max]) + "…"
	}
	return strconv.Quote(s)
}
