package identity

import (
	"encoding/base64"
	"errors"

	"github.com/onbehalf/onbehalf/oauth"
)

// ClaimsChallenge returns the identity provider's claims challenge carried
// by err: the JSON "claims" of an interaction_required answer (Conditional
// Access, MFA). The caller hands it back to the client so that the user
// signs in again satisfying it; the runtime answers 401 with
// ClaimsChallengeHeader. ok is false when err carries no challenge.
func ClaimsChallenge(err error) (claims string, ok bool) {
	var oe *oauth.Error
	if !errors.As(err, &oe) || oe.Claims == "" {
		return "", false
	}
	return oe.Claims, true
}

// ClaimsChallengeHeader is the WWW-Authenticate value for err's claims
// challenge, as Microsoft documents it for middle tiers:
//
//	Bearer error="insufficient_claims", claims="<base64 of the claims JSON>"
func ClaimsChallengeHeader(err error) (string, bool) {
	claims, ok := ClaimsChallenge(err)
	if !ok {
		return "", false
	}
	return `Bearer error="insufficient_claims", claims="` + base64.StdEncoding.EncodeToString([]byte(claims)) + `"`, true
}
