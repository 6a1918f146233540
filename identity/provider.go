package identity

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"

	"github.com/onbehalf/onbehalf/oauth"
)

// Credential provider vendors (credentialProviderVendor).
const (
	VendorMicrosoftOauth2  = "MicrosoftOauth2"
	VendorCustomOauth2     = "CustomOauth2"
	VendorGoogleOauth2     = "GoogleOauth2"
	VendorGithubOauth2     = "GithubOauth2"
	VendorSlackOauth2      = "SlackOauth2"
	VendorSalesforceOauth2 = "SalesforceOauth2"
	VendorAtlassianOauth2  = "AtlassianOauth2"
	VendorLinkedinOauth2   = "LinkedinOauth2"
)

// vendors is the model's CredentialProviderVendorType enum.
var vendors = []string{"GoogleOauth2", "GithubOauth2", "SlackOauth2", "SalesforceOauth2", "MicrosoftOauth2",
	"CustomOauth2", "AtlassianOauth2", "LinkedinOauth2", "XOauth2", "OktaOauth2", "OneLoginOauth2",
	"PingOneOauth2", "FacebookOauth2", "YandexOauth2", "RedditOauth2", "ZoomOauth2", "TwitchOauth2",
	"SpotifyOauth2", "DropboxOauth2", "NotionOauth2", "HubspotOauth2", "CyberArkOauth2",
	"FusionAuthOauth2", "Auth0Oauth2", "CognitoOauth2"}

// On-Behalf-Of grant types (onBehalfOfTokenExchangeConfig.grantType).
const (
	GrantJWTAuthorization = "JWT_AUTHORIZATION_GRANT" // RFC 7523 jwt-bearer
	GrantTokenExchange    = "TOKEN_EXCHANGE"          // RFC 8693
)

// Actor token contents (tokenExchangeGrantTypeConfig.actorTokenContent).
const (
	ActorNone = "NONE"
	ActorM2M  = "M2M"
)

// Client authentication methods (clientAuthenticationMethod).
const (
	AuthClientSecretBasic = "CLIENT_SECRET_BASIC"
	AuthClientSecretPost  = "CLIENT_SECRET_POST"
	AuthPrivateKeyJWT     = "PRIVATE_KEY_JWT"
)

// knownVendor is a vendor whose endpoints the broker knows.
type knownVendor struct {
	discovery string
	metadata  *Oauth2AuthorizationServerMetadata
}

var knownVendors = map[string]knownVendor{
	VendorGoogleOauth2:     {discovery: "https://accounts.google.com/.well-known/openid-configuration"},
	VendorSalesforceOauth2: {discovery: "https://login.salesforce.com/.well-known/openid-configuration"},
	VendorLinkedinOauth2:   {discovery: "https://www.linkedin.com/oauth/.well-known/openid-configuration"},
	VendorGithubOauth2: {metadata: &Oauth2AuthorizationServerMetadata{Issuer: "https://github.com",
		AuthorizationEndpoint: "https://github.com/login/oauth/authorize", TokenEndpoint: "https://github.com/login/oauth/access_token"}},
	VendorSlackOauth2: {metadata: &Oauth2AuthorizationServerMetadata{Issuer: "https://slack.com",
		AuthorizationEndpoint: "https://slack.com/oauth/v2/authorize", TokenEndpoint: "https://slack.com/api/oauth.v2.access"}},
	VendorAtlassianOauth2: {metadata: &Oauth2AuthorizationServerMetadata{Issuer: "https://auth.atlassian.com",
		AuthorizationEndpoint: "https://auth.atlassian.com/authorize", TokenEndpoint: "https://auth.atlassian.com/oauth/token"}},
}

// entraDiscoveryURL is Microsoft's public-cloud discovery document.
func entraDiscoveryURL(tenantID string) string {
	if tenantID == "" {
		tenantID = "common"
	}
	return "https://login.microsoftonline.com/" + url.PathEscape(tenantID) + "/v2.0/.well-known/openid-configuration"
}

// provider is a resolved OAuth2 credential provider.
type provider struct {
	name   string
	vendor string
	auth   oauth.ClientAuth
	// discovery is the discovery URL; metadata is set instead when the
	// endpoints are explicit.
	discovery string
	metadata  *oauth.Metadata
	// oboGrant is "" when the provider has no OBO configuration.
	oboGrant    string
	actor       string // ActorNone or ActorM2M (TOKEN_EXCHANGE only)
	actorScopes []string
	// tag joins the vault key: the provider instance and where its tokens
	// come from, so tokens of a provider deleted and re-created, or pointed
	// at another server or client, are never served.
	tag string
	// jwk is the public key of PRIVATE_KEY_JWT, for JWKSHandler.
	jwk map[string]string
}

// serverMetadata returns the provider's endpoints.
func (b *Broker) serverMetadata(ctx context.Context, p *provider) (*oauth.Metadata, error) {
	if p.metadata != nil {
		md := *p.metadata
		return &md, nil
	}
	return b.oauth.Discover(ctx, p.discovery)
}

// buildProvider resolves a stored provider. The document was validated
// when it was stored.
func buildProvider(name string, doc oauth2Doc, sec oauth2Secret) (*provider, error) {
	p := &provider{name: name, vendor: doc.Vendor}
	auth := oauth.ClientAuth{ClientSecret: sec.ClientSecret, Method: oauth.AuthSecretPost}
	c := doc.Config
	switch {
	case c.CustomOauth2ProviderConfig != nil:
		cc := c.CustomOauth2ProviderConfig
		auth.ClientID = cc.ClientID
		setDiscovery(p, cc.OauthDiscovery)
		switch cc.ClientAuthenticationMethod {
		case AuthClientSecretBasic:
			auth.Method = oauth.AuthSecretBasic
		case AuthPrivateKeyJWT:
			key, err := parsePrivateKey(sec.PrivateKeyPEM)
			if err != nil {
				return nil, err
			}
			auth.Method = oauth.AuthPrivateKeyJWT
			auth.ClientSecret = ""
			auth.PrivateKey = key
			p.jwk, auth.KeyID = publicJWK(key)
			if pk := cc.PrivateKeyJwtConfig; pk != nil {
				auth.SigningAlgorithm = pk.SigningAlgorithm
				auth.AssertionClaims = pk.AdditionalPayloadClaims
			}
			p.jwk["alg"] = signingAlg(key, auth.SigningAlgorithm)
		}
		if o := cc.OnBehalfOfTokenExchangeConfig; o != nil {
			p.oboGrant = o.GrantType
			p.actor = ActorNone
			if t := o.TokenExchangeGrantTypeConfig; t != nil && t.ActorTokenContent != "" {
				p.actor = t.ActorTokenContent
				p.actorScopes = t.ActorTokenScopes
			}
		}
	case c.MicrosoftOauth2ProviderConfig != nil:
		mc := c.MicrosoftOauth2ProviderConfig
		auth.ClientID = mc.ClientID
		p.discovery = mc.DiscoveryURL
		if p.discovery == "" {
			p.discovery = entraDiscoveryURL(mc.TenantID)
		}
		p.oboGrant = GrantJWTAuthorization
	case c.IncludedOauth2ProviderConfig != nil:
		ic := c.IncludedOauth2ProviderConfig
		auth.ClientID = ic.ClientID
		if ic.TokenEndpoint != "" {
			p.metadata = &oauth.Metadata{Issuer: ic.Issuer, AuthorizationEndpoint: ic.AuthorizationEndpoint, TokenEndpoint: ic.TokenEndpoint}
		} else {
			p.discovery = strings.TrimSuffix(ic.Issuer, "/") + "/.well-known/openid-configuration"
		}
	default:
		vc := vendorConfig(c)
		kv, ok := knownVendors[doc.Vendor]
		if vc == nil || !ok {
			return nil, fmt.Errorf("no configuration for vendor %s", doc.Vendor)
		}
		auth.ClientID = vc.ClientID
		setDiscovery(p, Oauth2Discovery{DiscoveryURL: kv.discovery, AuthorizationServerMetadata: kv.metadata})
	}
	p.auth = auth
	where := p.discovery
	if p.metadata != nil {
		where = p.metadata.TokenEndpoint + " " + p.metadata.AuthorizationEndpoint
	}
	sum := sha256.Sum256([]byte(doc.Instance + "\x00" + auth.ClientID + "\x00" + where))
	p.tag = hex.EncodeToString(sum[:8])
	return p, nil
}

func setDiscovery(p *provider, d Oauth2Discovery) {
	if m := d.AuthorizationServerMetadata; m != nil {
		p.metadata = &oauth.Metadata{Issuer: m.Issuer, AuthorizationEndpoint: m.AuthorizationEndpoint, TokenEndpoint: m.TokenEndpoint}
		return
	}
	p.discovery = d.DiscoveryURL
}

// vendorConfig returns the set member of a known vendor's union.
func vendorConfig(c Oauth2ProviderConfigInput) *VendorOauth2ProviderConfigInput {
	for _, v := range []*VendorOauth2ProviderConfigInput{c.GoogleOauth2ProviderConfig, c.GithubOauth2ProviderConfig,
		c.SlackOauth2ProviderConfig, c.SalesforceOauth2ProviderConfig, c.AtlassianOauth2ProviderConfig, c.LinkedinOauth2ProviderConfig} {
		if v != nil {
			return v
		}
	}
	return nil
}

// ---- PRIVATE_KEY_JWT keys ----

// generatePrivateKey makes a key for alg: RSA 2048 for RS256/PS256 (and
// the default), P-256 for ES256; returned as PKCS#8 PEM.
func generatePrivateKey(alg string) (string, error) {
	var key crypto.Signer
	var err error
	if alg == "ES256" {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	}
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

var errBadPrivateKey = errors.New("privateKeyPem must be one PEM-encoded RSA (2048 bits or more) or P-256 private key (PKCS#8, PKCS#1 or SEC 1)")

// parsePrivateKey reads a PKCS#8, PKCS#1 or SEC 1 PEM key.
func parsePrivateKey(pemText string) (crypto.Signer, error) {
	block, rest := pem.Decode([]byte(pemText))
	if block == nil || strings.TrimSpace(string(rest)) != "" {
		return nil, errBadPrivateKey
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, errBadPrivateKey
	}
	if err != nil {
		return nil, errBadPrivateKey
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if k.N.BitLen() < 2048 {
			return nil, errBadPrivateKey
		}
		return k, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, errBadPrivateKey
		}
		return k, nil
	}
	return nil, errBadPrivateKey
}

// keyFitsAlg reports whether the key can sign with alg ("" = default).
func keyFitsAlg(key crypto.Signer, alg string) bool {
	switch key.(type) {
	case *rsa.PrivateKey:
		return alg == "" || alg == "RS256" || alg == "PS256"
	case *ecdsa.PrivateKey:
		return alg == "" || alg == "ES256"
	}
	return false
}

func signingAlg(key crypto.Signer, alg string) string {
	if alg != "" {
		return alg
	}
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		return "ES256"
	}
	return "RS256"
}

// publicJWK is key's public half as a JWK (RFC 7517) and its kid: the
// base64url SHA-256 of the public key's DER, cut to 16 bytes.
func publicJWK(key crypto.Signer) (map[string]string, string) {
	der, _ := x509.MarshalPKIXPublicKey(key.Public())
	sum := sha256.Sum256(der)
	kid := base64.RawURLEncoding.EncodeToString(sum[:16])
	b64 := func(i *big.Int, size int) string {
		buf := make([]byte, size)
		return base64.RawURLEncoding.EncodeToString(i.FillBytes(buf))
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return map[string]string{"kty": "RSA", "use": "sig", "kid": kid,
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}, kid
	case *ecdsa.PublicKey:
		return map[string]string{"kty": "EC", "use": "sig", "kid": kid, "crv": "P-256",
			"x": b64(pub.X, 32), "y": b64(pub.Y, 32)}, kid
	}
	return map[string]string{"kid": kid}, kid
}
