package identity

import (
	"context"
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// Oauth2CredentialProvider is an OAuth2 credential provider defined in the
// broker's configuration (CreateOauth2CredentialProvider's input,
// flattened, for MicrosoftOauth2 and CustomOauth2). New stores it like an
// API-created provider; see Config.Providers.
type Oauth2CredentialProvider struct {
	Name                     string // e.g. "EntraIdServiceNow"
	CredentialProviderVendor string // VendorMicrosoftOauth2 | VendorCustomOauth2
	// TenantID is the Entra tenant (MicrosoftOauth2 only).
	TenantID string
	// DiscoveryURL is required for CustomOauth2 unless
	// AuthorizationServerMetadata is set. For MicrosoftOauth2 it is an
	// optional override (sovereign clouds, the emulator); the default is
	// https://login.microsoftonline.com/{tenantId}/v2.0/.well-known/openid-configuration.
	DiscoveryURL string
	// AuthorizationServerMetadata gives a CustomOauth2 server's endpoints
	// instead of a discovery document.
	AuthorizationServerMetadata *Oauth2AuthorizationServerMetadata
	ClientID                    string
	ClientSecret                string
	// ClientAuthenticationMethod is client_secret_post (default),
	// client_secret_basic or private_key_jwt (CustomOauth2 only); the
	// AgentCore spellings CLIENT_SECRET_POST, CLIENT_SECRET_BASIC and
	// PRIVATE_KEY_JWT are accepted too.
	ClientAuthenticationMethod string
	// PrivateKeyPEM is the private_key_jwt key; empty makes the broker
	// generate one (published by JWKSHandler). SigningAlgorithm is RS256
	// (default), PS256 or ES256.
	PrivateKeyPEM    string
	SigningAlgorithm string
	// OnBehalfOfGrantType is GrantJWTAuthorization (the default for
	// MicrosoftOauth2) or GrantTokenExchange. Empty on a CustomOauth2
	// provider means it has no On-Behalf-Of configuration.
	OnBehalfOfGrantType string
	// ActorTokenContent (TOKEN_EXCHANGE only) is ActorNone (default) or
	// ActorM2M; ActorTokenScopes are the M2M actor token's scopes.
	ActorTokenContent string
	ActorTokenScopes  []string
}

// String never prints the client secret or key.
func (p Oauth2CredentialProvider) String() string {
	return fmt.Sprintf("identity.Oauth2CredentialProvider{name=%q vendor=%q client=%q}", p.Name, p.CredentialProviderVendor, p.ClientID)
}

// APIKeyCredentialProvider is an API key defined in the configuration.
type APIKeyCredentialProvider struct {
	Name   string
	APIKey string
}

// String never prints the key.
func (p APIKeyCredentialProvider) String() string {
	return fmt.Sprintf("identity.APIKeyCredentialProvider{name=%q}", p.Name)
}

// WorkloadIdentity is an agent's identity (CreateWorkloadIdentity) defined
// in the configuration.
type WorkloadIdentity struct {
	Name string
	// AllowedProviders names the credential providers this workload may get
	// tokens from; empty allows all. In the configuration they must name
	// providers of Config.Providers.
	AllowedProviders []string
	// AllowedResourceOauth2ReturnURLs are the return URLs USER_FEDERATION
	// may send the user back to.
	AllowedResourceOauth2ReturnURLs []string
}

// UserClaims is what VerifyUserToken learned from a verified Token A.
type UserClaims struct {
	Issuer    string
	Subject   string
	ExpiresAt time.Time
}

// Config configures a Broker. Store, Keyring and VerifyUserToken are
// required; everything else has a default.
//
// Providers, APIKeyProviders and Workloads are upserted into the store by
// New, so every replica and the control-plane API see them. The
// configuration wins for those names: the API may read and list them, but
// Update and Delete are refused with ConflictException (the next start
// would undo them). Records created through the API live in the store only.
type Config struct {
	Store   store.Store
	Keyring *keyring.Keyring
	// OAuth talks to the IdPs; nil means a zero oauth.Client using Now.
	OAuth *oauth.Client
	// VerifyUserToken verifies Token A (signature, issuer, audience, expiry)
	// and returns who it names; cmd wires the authorizer here. Its errors
	// must not quote the token.
	VerifyUserToken func(ctx context.Context, raw string) (UserClaims, error)
	// VerifyUserTokenFor, when set, is used instead of VerifyUserToken
	// with the workload identity the token is presented for ("" when the
	// call names none, e.g. CompleteResourceTokenAuth by an admin key), so
	// that each workload accepts only the tokens of its own agent's
	// authorizer.
	VerifyUserTokenFor func(ctx context.Context, workload, raw string) (UserClaims, error)
	// Metrics, when set, receives the broker's Prometheus collectors
	// (calls by operation and outcome, resource tokens by provider and
	// source, IdP request latency).
	Metrics prometheus.Registerer

	Providers       []Oauth2CredentialProvider
	APIKeyProviders []APIKeyCredentialProvider
	Workloads       []WorkloadIdentity
	// Region and AccountID fill the ARNs; defaults us-east-1 and
	// 000000000000.
	Region    string
	AccountID string
	// CallbackBaseURL is the broker's public base URL (e.g.
	// https://identity.example.com); CallbackHandler must be served at
	// CallbackBaseURL + CallbackPath. Required for USER_FEDERATION.
	CallbackBaseURL string
	// RefreshBefore: a cached token is reused until this close to its
	// expiry. Default 5m.
	RefreshBefore time.Duration
	// WorkloadTokenTTL caps a WAT's lifetime; it never outlives Token A.
	// Default 1h.
	WorkloadTokenTTL time.Duration
	// ResourceCacheTTL is how long a replica reuses a credential provider
	// or workload identity read from the store: changes made through
	// another replica take effect within it. Default 5s; negative disables
	// the cache.
	ResourceCacheTTL time.Duration
	// VaultCacheTTL is how long a replica answers from its memory a vault
	// row it read or wrote (never past the token's RefreshBefore): the hot
	// path then skips the store. A token replaced through another replica
	// (forceAuthentication) may be served here for up to this long. Default
	// 2s; negative disables.
	VaultCacheTTL time.Duration
	// AuthorizationSessionTTL is how long a USER_FEDERATION authorization
	// may take, from GetResourceOauth2Token to CompleteResourceTokenAuth.
	// Default 10m.
	AuthorizationSessionTTL time.Duration
	Now                     func() time.Time
	// Logger receives operational logs, never a secret; default discards.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultRefreshBefore           = 5 * time.Minute
	DefaultWorkloadTokenTTL        = time.Hour
	DefaultResourceCacheTTL        = 5 * time.Second
	DefaultVaultCacheTTL           = 2 * time.Second
	DefaultAuthorizationSessionTTL = 10 * time.Minute
	DefaultRegion                  = "us-east-1"
	DefaultAccountID               = "000000000000"
)

// ErrInvalidConfig is wrapped by New's error, which lists every problem.
var ErrInvalidConfig = errors.New("identity: invalid config")

var (
	regionRE  = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// validate checks cfg, returning every problem at once, each naming its key.
func (cfg *Config) validate() error {
	var problems []error
	bad := func(key, format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if cfg.Store == nil {
		bad("Store", "required")
	}
	if cfg.Keyring == nil {
		bad("Keyring", "required")
	}
	if cfg.VerifyUserToken == nil && cfg.VerifyUserTokenFor == nil {
		bad("VerifyUserToken", "required (or VerifyUserTokenFor)")
	}
	for name, d := range map[string]time.Duration{"RefreshBefore": cfg.RefreshBefore, "WorkloadTokenTTL": cfg.WorkloadTokenTTL, "AuthorizationSessionTTL": cfg.AuthorizationSessionTTL} {
		if d < 0 {
			bad(name, "must not be negative")
		}
	}
	if cfg.Region != "" && !regionRE.MatchString(cfg.Region) {
		bad("Region", "must be 1-64 of [a-z0-9-], got %q", cfg.Region)
	}
	if cfg.AccountID != "" && !accountRE.MatchString(cfg.AccountID) {
		bad("AccountID", "must be 12 digits, got %q", cfg.AccountID)
	}
	if cfg.CallbackBaseURL != "" {
		u, err := url.Parse(cfg.CallbackBaseURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad("CallbackBaseURL", "must be an absolute http(s) URL without query or fragment")
		}
	}

	names := map[string]bool{}
	for i, p := range cfg.Providers {
		key := fmt.Sprintf("Providers[%d]", i)
		before := len(problems)
		if !providerNameRE.MatchString(p.Name) {
			bad(key+".Name", "must be 1-128 of [a-zA-Z0-9-_], got %q", p.Name)
		} else if names[p.Name] {
			bad(key+".Name", "%q is used twice", p.Name)
		}
		names[p.Name] = true
		checkConfigProvider(p, key, bad)
		if len(problems) > before {
			continue
		}
		// Everything the API would refuse, too.
		in := p.input()
		var v validator
		validateOauth2Config(&v, in.CredentialProviderVendor, in.Oauth2ProviderConfigInput, false)
		for _, f := range v.fields {
			bad(key, "%s: %s", f.Name, f.Message)
		}
	}
	apiNames := map[string]bool{}
	for i, p := range cfg.APIKeyProviders {
		key := fmt.Sprintf("APIKeyProviders[%d]", i)
		if !providerNameRE.MatchString(p.Name) {
			bad(key+".Name", "must be 1-128 of [a-zA-Z0-9-_], got %q", p.Name)
		} else if apiNames[p.Name] {
			bad(key+".Name", "%q is used twice", p.Name)
		}
		apiNames[p.Name] = true
		if p.APIKey == "" || len(p.APIKey) > 65536 {
			bad(key+".APIKey", "required, at most 65536 bytes")
		}
	}
	workloads := map[string]bool{}
	for i, w := range cfg.Workloads {
		key := fmt.Sprintf("Workloads[%d]", i)
		if !workloadNameRE.MatchString(w.Name) {
			bad(key+".Name", "must be 3-255 of [A-Za-z0-9_.-], got %q", w.Name)
		} else if workloads[w.Name] {
			bad(key+".Name", "%q is used twice", w.Name)
		}
		workloads[w.Name] = true
		for j, name := range w.AllowedProviders {
			if !names[name] {
				bad(fmt.Sprintf("%s.AllowedProviders[%d]", key, j), "%q is not in Providers", name)
			}
		}
		for j, u := range w.AllowedResourceOauth2ReturnURLs {
			if !returnURLRE.MatchString(u) || len(u) > 2048 {
				bad(fmt.Sprintf("%s.AllowedResourceOauth2ReturnURLs[%d]", key, j), "must be a URL (scheme:…) of at most 2048 characters")
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(problems...))
	}
	return nil
}

// checkConfigProvider checks the flattened fields, naming them.
func checkConfigProvider(p Oauth2CredentialProvider, key string, bad func(key, format string, args ...any)) {
	method, methodOK := authMethod(p.ClientAuthenticationMethod)
	switch p.CredentialProviderVendor {
	case VendorMicrosoftOauth2:
		if p.TenantID == "" {
			bad(key+".TenantID", "required for MicrosoftOauth2")
		}
		if p.OnBehalfOfGrantType != "" && p.OnBehalfOfGrantType != GrantJWTAuthorization {
			bad(key+".OnBehalfOfGrantType", "MicrosoftOauth2 uses %s", GrantJWTAuthorization)
		}
		if methodOK && method != AuthClientSecretPost {
			bad(key+".ClientAuthenticationMethod", "MicrosoftOauth2 authenticates with client_secret_post; use CustomOauth2 for %s", p.ClientAuthenticationMethod)
		}
		if p.AuthorizationServerMetadata != nil {
			bad(key+".AuthorizationServerMetadata", "only for CustomOauth2")
		}
	case VendorCustomOauth2:
		if p.DiscoveryURL == "" && p.AuthorizationServerMetadata == nil {
			bad(key+".DiscoveryURL", "required for CustomOauth2 (or AuthorizationServerMetadata)")
		}
		if p.DiscoveryURL != "" && p.AuthorizationServerMetadata != nil {
			bad(key+".AuthorizationServerMetadata", "give DiscoveryURL or AuthorizationServerMetadata, not both")
		}
	default:
		bad(key+".CredentialProviderVendor", "must be %s or %s, got %q", VendorMicrosoftOauth2, VendorCustomOauth2, p.CredentialProviderVendor)
	}
	if p.DiscoveryURL != "" {
		if msg := checkDiscoveryURL(p.DiscoveryURL); msg != "" {
			bad(key+".DiscoveryURL", "%s", msg)
		}
	}
	switch p.OnBehalfOfGrantType {
	case "", GrantJWTAuthorization, GrantTokenExchange:
	default:
		bad(key+".OnBehalfOfGrantType", "must be %s or %s, got %q", GrantJWTAuthorization, GrantTokenExchange, p.OnBehalfOfGrantType)
	}
	switch p.ActorTokenContent {
	case "", ActorNone, ActorM2M:
		if p.ActorTokenContent != "" && p.OnBehalfOfGrantType != GrantTokenExchange {
			bad(key+".ActorTokenContent", "only with OnBehalfOfGrantType %s", GrantTokenExchange)
		}
	default:
		bad(key+".ActorTokenContent", "must be NONE or M2M, got %q", p.ActorTokenContent)
	}
	if p.ClientID == "" {
		bad(key+".ClientID", "required")
	}
	if !methodOK {
		bad(key+".ClientAuthenticationMethod", "must be client_secret_post, client_secret_basic or private_key_jwt, got %q", p.ClientAuthenticationMethod)
	}
	if method == AuthPrivateKeyJWT {
		if p.ClientSecret != "" {
			bad(key+".ClientSecret", "must be empty with private_key_jwt")
		}
		if p.PrivateKeyPEM != "" {
			if _, err := parsePrivateKey(p.PrivateKeyPEM); err != nil {
				bad(key+".PrivateKeyPEM", "%s", err.Error())
			}
		}
	} else {
		if p.ClientSecret == "" {
			bad(key+".ClientSecret", "required")
		}
		if p.PrivateKeyPEM != "" || p.SigningAlgorithm != "" {
			bad(key+".PrivateKeyPEM", "only with private_key_jwt")
		}
	}
}

// authMethod maps the accepted spellings to AgentCore's.
func authMethod(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "", "client_secret_post":
		return AuthClientSecretPost, true
	case "client_secret_basic":
		return AuthClientSecretBasic, true
	case "private_key_jwt":
		return AuthPrivateKeyJWT, true
	}
	return "", false
}

func checkDiscoveryURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "must be an absolute http(s) URL"
	case !discoveryPathRE.MatchString(u.Path):
		return "must end in /.well-known/openid-configuration or /.well-known/oauth-authorization-server"
	}
	return ""
}

// input is p as the control plane's input.
func (p Oauth2CredentialProvider) input() CreateOauth2CredentialProviderInput {
	in := CreateOauth2CredentialProviderInput{Name: p.Name, CredentialProviderVendor: p.CredentialProviderVendor}
	if p.CredentialProviderVendor == VendorMicrosoftOauth2 {
		in.Oauth2ProviderConfigInput.MicrosoftOauth2ProviderConfig = &MicrosoftOauth2ProviderConfigInput{
			ClientID: p.ClientID, ClientSecret: p.ClientSecret, TenantID: p.TenantID, DiscoveryURL: p.DiscoveryURL,
		}
		return in
	}
	method, _ := authMethod(p.ClientAuthenticationMethod)
	cc := &CustomOauth2ProviderConfigInput{
		OauthDiscovery:             Oauth2Discovery{DiscoveryURL: p.DiscoveryURL, AuthorizationServerMetadata: p.AuthorizationServerMetadata},
		ClientID:                   p.ClientID,
		ClientSecret:               p.ClientSecret,
		ClientAuthenticationMethod: method,
		PrivateKeyPEM:              p.PrivateKeyPEM,
	}
	if method == AuthPrivateKeyJWT && p.SigningAlgorithm != "" {
		cc.PrivateKeyJwtConfig = &PrivateKeyJwtConfig{SigningAlgorithm: p.SigningAlgorithm}
	}
	if p.OnBehalfOfGrantType != "" {
		cc.OnBehalfOfTokenExchangeConfig = &OnBehalfOfTokenExchangeConfig{GrantType: p.OnBehalfOfGrantType}
		if p.ActorTokenContent != "" {
			cc.OnBehalfOfTokenExchangeConfig.TokenExchangeGrantTypeConfig = &TokenExchangeGrantTypeConfig{
				ActorTokenContent: p.ActorTokenContent, ActorTokenScopes: p.ActorTokenScopes,
			}
		}
	}
	in.Oauth2ProviderConfigInput.CustomOauth2ProviderConfig = cc
	return in
}
