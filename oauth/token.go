package oauth

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Grant types and token types used on the wire.
const (
	GrantTypeJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"     // RFC 7523
	GrantTypeTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange" // RFC 8693
	GrantTypeClientCredentials = "client_credentials"
	GrantTypePassword          = "password"
	GrantTypeRefreshToken      = "refresh_token"

	TokenTypeJWT          = "urn:ietf:params:oauth:token-type:jwt"
	TokenTypeAccessToken  = "urn:ietf:params:oauth:token-type:access_token"
	TokenTypeIDToken      = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeRefreshToken = "urn:ietf:params:oauth:token-type:refresh_token"
)

// Token is a successful token response (RFC 6749 §5.1, RFC 8693 §2.2.1).
type Token struct {
	AccessToken     string
	TokenType       string // usually "Bearer"
	RefreshToken    string // empty unless the server issued one
	Scope           string // space-separated, as granted
	IssuedTokenType string // RFC 8693 issued_token_type
	// ExpiresAt is the issue time (Client.Now) plus expires_in; zero when the
	// server did not say.
	ExpiresAt time.Time
}

// String never prints the token values.
func (t *Token) String() string {
	return fmt.Sprintf("oauth.Token{type=%q scope=%q expires=%s refresh=%t}",
		t.TokenType, t.Scope, t.ExpiresAt.Format(time.RFC3339), t.RefreshToken != "")
}

// tokenJSON is the wire form of a token response.
type tokenJSON struct {
	AccessToken     string    `json:"access_token"`
	TokenType       string    `json:"token_type"`
	RefreshToken    string    `json:"refresh_token"`
	Scope           string    `json:"scope"`
	IssuedTokenType string    `json:"issued_token_type"`
	ExpiresIn       expiresIn `json:"expires_in"`
}

// expiresIn accepts a JSON number or a numeric string (Entra's v1 endpoint
// and some other servers send strings).
type expiresIn int64

func (e *expiresIn) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var n json.Number
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			return nil
		}
		n = json.Number(s)
	} else if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return fmt.Errorf("expires_in: not a number")
	}
	if f < 0 || f > math.MaxInt32 {
		return fmt.Errorf("expires_in: out of range")
	}
	*e = expiresIn(f)
	return nil
}

// errorJSON is the wire form of an error response.
type errorJSON struct {
	Error         string `json:"error"`
	Description   string `json:"error_description"`
	URI           string `json:"error_uri"`
	ErrorCodes    []int  `json:"error_codes"`
	Claims        string `json:"claims"`
	TraceID       string `json:"trace_id"`
	CorrelationID string `json:"correlation_id"`
}
