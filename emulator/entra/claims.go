package entra

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is the payload of an Entra v2.0 access token (and, with azp,
// scp and roles empty, of an ID token). Field order follows Entra's tokens.
type tokenClaims struct {
	Aud               string    `json:"aud"`
	Iss               string    `json:"iss"`
	Iat               int64     `json:"iat"`
	Nbf               int64     `json:"nbf"`
	Exp               int64     `json:"exp"`
	Azp               string    `json:"azp,omitempty"`
	Azpacr            string    `json:"azpacr,omitempty"`
	Amr               []string  `json:"amr,omitempty"` // emulated MFA only: ["pwd","mfa"]
	Idtyp             string    `json:"idtyp,omitempty"`
	Name              string    `json:"name,omitempty"`
	Nonce             string    `json:"nonce,omitempty"` // ID tokens of the code flow
	Oid               string    `json:"oid"`
	PreferredUsername string    `json:"preferred_username,omitempty"`
	Roles             *[]string `json:"roles,omitempty"` // app-only tokens: present, possibly empty
	Scp               string    `json:"scp,omitempty"`
	Sub               string    `json:"sub"`
	Tid               string    `json:"tid"`
	Uti               string    `json:"uti"`
	Ver               string    `json:"ver"`
	Act               *actClaim `json:"act,omitempty"` // RFC 8693 delegation chain
}

// actClaim is RFC 8693's act: the current actor, and nested inside it the
// actors before it (outermost = current).
type actClaim struct {
	Sub      string    `json:"sub"`
	ClientID string    `json:"client_id,omitempty"`
	Act      *actClaim `json:"act,omitempty"`
}

// maxActDepth bounds a delegation chain read from a token.
const maxActDepth = 8

func (a *actClaim) depth() int {
	n := 0
	for ; a != nil; a = a.Act {
		n++
	}
	return n
}

// tokenExtra are the optional claims of a delegated token.
type tokenExtra struct {
	mfa bool      // the sign-in performed the emulated MFA
	act *actClaim // delegation chain
}

// mfaAMR is the amr of a token whose sign-in performed the emulated MFA.
// Entra's v2 access tokens do not carry amr (v1 tokens do); the emulator
// records MFA there so that a downstream exchange can see it, and so that
// tests can.
var mfaAMR = []string{"pwd", "mfa"}

// hasMFA reports whether claims record an MFA sign-in.
func hasMFA(claims map[string]any) bool {
	list, _ := claims["amr"].([]any)
	for _, v := range list {
		if v == "mfa" {
			return true
		}
	}
	return false
}

// jwt.Claims, so that golang-jwt can sign the struct as is.
func (c *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Exp, 0)), nil
}
func (c *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Iat, 0)), nil
}
func (c *tokenClaims) GetNotBefore() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.Nbf, 0)), nil
}
func (c *tokenClaims) GetIssuer() (string, error)             { return c.Iss, nil }
func (c *tokenClaims) GetSubject() (string, error)            { return c.Sub, nil }
func (c *tokenClaims) GetAudience() (jwt.ClaimStrings, error) { return jwt.ClaimStrings{c.Aud}, nil }

// newClaims fills the claims every token carries.
func (s *Server) newClaims(aud string) *tokenClaims {
	now := s.now()
	return &tokenClaims{
		Aud: aud,
		Iss: s.issuer,
		Iat: now.Unix(),
		Nbf: now.Unix(),
		Exp: now.Add(s.tokenLifetime).Unix(),
		Tid: s.tenant,
		Uti: newUTI(),
		Ver: "2.0",
	}
}

// userAccessToken is a delegated token for user, issued to client for
// resource with the given scopes.
func (s *Server) userAccessToken(user *User, client *App, azpacr string, resource *App, scopes []string, x tokenExtra) (string, error) {
	c := s.newClaims(resource.ClientID)
	c.Azp = client.ClientID
	c.Azpacr = azpacr
	if x.mfa {
		c.Amr = mfaAMR
	}
	c.Act = x.act
	c.Name = user.DisplayName
	c.Oid = user.ObjectID
	c.PreferredUsername = user.UserPrincipalName
	c.Scp = strings.Join(scopes, " ")
	c.Sub = s.pairwiseSub(user.ObjectID, resource.ClientID)
	return s.sign(c)
}

// appAccessToken is an app-only token of client's service principal for
// resource. The emulator models no app roles, so roles is empty.
func (s *Server) appAccessToken(client *App, resource *App) (string, error) {
	c := s.newClaims(resource.ClientID)
	spID := s.servicePrincipalID(client.ClientID)
	c.Azp = client.ClientID
	c.Azpacr = "1"
	c.Idtyp = "app"
	c.Oid = spID
	c.Sub = spID
	c.Roles = &[]string{}
	return s.sign(c)
}

// idToken is the OpenID Connect ID token for user, audience client; nonce
// is echoed when the authorization request had one.
func (s *Server) idToken(user *User, client *App, nonce string, mfa bool) (string, error) {
	c := s.newClaims(client.ClientID)
	c.Nonce = nonce
	if mfa {
		c.Amr = mfaAMR
	}
	c.Name = user.DisplayName
	c.Oid = user.ObjectID
	c.PreferredUsername = user.UserPrincipalName
	c.Sub = s.pairwiseSub(user.ObjectID, client.ClientID)
	return s.sign(c)
}

func (s *Server) sign(c *tokenClaims) (string, error) {
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, c) // header typ JWT
	t.Header["kid"] = s.key.kid
	t.Header["x5t"] = s.key.kid
	return t.SignedString(s.key.priv)
}

// pairwiseSub is Entra's pairwise subject: stable per (tenant, user,
// app), unrelated across apps, formatted like Entra's (43 base64url chars).
func (s *Server) pairwiseSub(oid, appID string) string {
	sum := sha256.Sum256([]byte("sub|" + strings.ToLower(s.tenant) + "|" + strings.ToLower(oid) + "|" + strings.ToLower(appID)))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// servicePrincipalID is the stable object id of an app's service principal
// in this tenant (Entra assigns a random one at registration; the emulator
// derives it so that it survives restarts).
func (s *Server) servicePrincipalID(clientID string) string {
	sum := sha256.Sum256([]byte("sp|" + strings.ToLower(s.tenant) + "|" + strings.ToLower(clientID)))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatGUID(b, 4)
}

// newUTI is a random token id shaped like Entra's uti (22 base64url chars).
func newUTI() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
