package oauth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
	// AuthPrivateKeyJWT sends client_id and an RFC 7523 §2.2 client
	// assertion (a JWT the client signs with its private key; RFC 7521 §4.2)
	// instead of a secret.
	AuthPrivateKeyJWT AuthMethod = "private_key_jwt"
)

// ClientAssertionType is the client_assertion_type of private_key_jwt.
const ClientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// AssertionLifetime is how long a client assertion is valid.
const AssertionLifetime = 5 * time.Minute

// ClientAuth identifies the client at the token endpoint. An empty Method
// means client_secret_post (what Entra ID documents), or none when
// ClientSecret is empty.
type ClientAuth struct {
	ClientID     string
	ClientSecret string
	Method       AuthMethod
	// PrivateKey signs the client assertion of AuthPrivateKeyJWT: an
	// *rsa.PrivateKey (RS256, or PS256) or an *ecdsa.PrivateKey on P-256
	// (ES256).
	PrivateKey crypto.Signer
	// KeyID is the assertion header's kid, naming the public key in the
	// client's published JWKS.
	KeyID string
	// SigningAlgorithm is RS256 (default for RSA keys), PS256 or ES256
	// (default for EC keys).
	SigningAlgorithm string
	// AssertionClaims are added to the assertion's payload; they never
	// replace iss, sub, aud, jti, iat, nbf or exp.
	AssertionClaims map[string]string
}

// String never prints the secret or key.
func (a ClientAuth) String() string {
	return fmt.Sprintf("oauth.ClientAuth{id=%q method=%q secret=%t key=%t}", a.ClientID, a.method(), a.ClientSecret != "", a.PrivateKey != nil)
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

// validate checks a before anything is sent.
func (a ClientAuth) validate() error {
	if a.ClientID == "" {
		return fmt.Errorf("oauth: client id is required")
	}
	switch a.method() {
	case AuthSecretBasic, AuthSecretPost, AuthNone:
		return nil
	case AuthPrivateKeyJWT:
		if a.PrivateKey == nil {
			return errors.New("oauth: private_key_jwt needs a private key")
		}
		_, err := signingMethod(a.PrivateKey, a.SigningAlgorithm)
		return err
	}
	return fmt.Errorf("oauth: unsupported client authentication method %q", a.Method)
}

// apply puts the client's credentials on the request form or header.
// tokenURL is the assertion's audience (RFC 7523 §3: the token endpoint).
func (a ClientAuth) apply(form url.Values, h http.Header, tokenURL string, now time.Time) error {
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
	case AuthPrivateKeyJWT:
		assertion, err := a.assertion(tokenURL, now)
		if err != nil {
			return err
		}
		form.Set("client_id", a.ClientID)
		form.Set("client_assertion_type", ClientAssertionType)
		form.Set("client_assertion", assertion)
	default:
		return fmt.Errorf("oauth: unsupported client authentication method %q", a.Method)
	}
	return nil
}

// reservedParams are never taken from a caller's extra parameters, even
// when the chosen auth method does not send them.
var reservedParams = []string{"grant_type", "client_id", "client_secret", "client_assertion", "client_assertion_type"}

// reservedAssertionClaims are set by assertion and never by AssertionClaims.
var reservedAssertionClaims = map[string]bool{"iss": true, "sub": true, "aud": true, "jti": true, "iat": true, "nbf": true, "exp": true}

// assertion signs a client assertion for tokenURL: iss = sub = client id,
// aud = the token endpoint, a random jti, iat = nbf = now, exp = now +
// AssertionLifetime.
func (a ClientAuth) assertion(tokenURL string, now time.Time) (string, error) {
	if a.PrivateKey == nil {
		return "", errors.New("oauth: private_key_jwt needs a private key")
	}
	method, err := signingMethod(a.PrivateKey, a.SigningAlgorithm)
	if err != nil {
		return "", err
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", fmt.Errorf("oauth: client assertion: %w", err)
	}
	claims := jwt.MapClaims{}
	for k, v := range a.AssertionClaims {
		if !reservedAssertionClaims[k] {
			claims[k] = v
		}
	}
	claims["iss"] = a.ClientID
	claims["sub"] = a.ClientID
	claims["aud"] = tokenURL
	claims["jti"] = base64.RawURLEncoding.EncodeToString(jti[:])
	claims["iat"] = now.Unix()
	claims["nbf"] = now.Unix()
	claims["exp"] = now.Add(AssertionLifetime).Unix()
	tok := jwt.NewWithClaims(method, claims)
	if a.KeyID != "" {
		tok.Header["kid"] = a.KeyID
	}
	signed, err := tok.SignedString(a.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("oauth: signing client assertion: %w", err)
	}
	return signed, nil
}

// signingMethod picks the JWS algorithm for key: alg when given (and it
// fits the key), else RS256 for RSA and ES256 for P-256.
func signingMethod(key crypto.Signer, alg string) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		switch alg {
		case "", "RS256":
			return jwt.SigningMethodRS256, nil
		case "PS256":
			return jwt.SigningMethodPS256, nil
		}
	case *ecdsa.PrivateKey:
		if k.Curve.Params().Name != "P-256" {
			return nil, errors.New("oauth: private_key_jwt: EC keys must be on P-256")
		}
		if alg == "" || alg == "ES256" {
			return jwt.SigningMethodES256, nil
		}
	default:
		return nil, fmt.Errorf("oauth: private_key_jwt: unsupported key type %T", key)
	}
	return nil, fmt.Errorf("oauth: private_key_jwt: algorithm %q does not fit a %T", alg, key)
}
