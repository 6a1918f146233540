package identity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/onbehalf/onbehalf/keyring"
	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// Credential provider vendors.
const (
	VendorMicrosoftOauth2 = "MicrosoftOauth2"
	VendorCustomOauth2    = "CustomOauth2"
)

// On-Behalf-Of grant types (onBehalfOfTokenExchangeConfig.grantType).
const (
	GrantJWTAuthorization = "JWT_AUTHORIZATION_GRANT" // RFC 7523 jwt-bearer
	GrantTokenExchange    = "TOKEN_EXCHANGE"          // RFC 8693
)

// Oauth2CredentialProvider is an outbound OAuth client the broker holds the
// secret of (CreateOauth2CredentialProvider's input, flattened).
type Oauth2CredentialProvider struct {
	Name                     string // e.g. "EntraIdServiceNow"
	CredentialProviderVendor string // VendorMicrosoftOauth2 | VendorCustomOauth2
	// TenantID is the Entra tenant (MicrosoftOauth2 only).
	TenantID string
	// DiscoveryURL is required for CustomOauth2. For MicrosoftOauth2 it is an
	// optional override (sovereign clouds, the emulator); the default is
	// https://login.microsoftonline.com/{tenantId}/v2.0/.well-known/openid-configuration.
	DiscoveryURL string
	ClientID     string
	ClientSecret string
	// ClientAuthenticationMethod is client_secret_post (default) or
	// client_secret_basic; AgentCore's CLIENT_SECRET_POST / CLIENT_SECRET_BASIC
	// are accepted too.
	ClientAuthenticationMethod string
	// OnBehalfOfGrantType is GrantJWTAuthorization (the default for
	// MicrosoftOauth2) or GrantTokenExchange. Empty on a CustomOauth2
	// provider means it has no On-Behalf-Of configuration.
	OnBehalfOfGrantType string
}

// String never prints the client secret.
func (p Oauth2CredentialProvider) String() string {
	return fmt.Sprintf("identity.Oauth2CredentialProvider{name=%q vendor=%q client=%q}", p.Name, p.CredentialProviderVendor, p.ClientID)
}

// WorkloadIdentity is an agent's identity (CreateWorkloadIdentity).
type WorkloadIdentity struct {
	Name string
	// AllowedProviders names the credential providers this workload may get
	// tokens from; empty allows all.
	AllowedProviders []string
}

// UserClaims is what VerifyUserToken learned from a verified Token A.
type UserClaims struct {
	Issuer    string
	Subject   string
	ExpiresAt time.Time
}

// Config configures a Broker. Store, Keyring and VerifyUserToken are
// required; everything else has a default.
type Config struct {
	Store   store.Store
	Keyring *keyring.Keyring
	// OAuth talks to the IdPs; nil means a zero oauth.Client using Now.
	OAuth *oauth.Client
	// VerifyUserToken verifies Token A (signature, issuer, audience, expiry)
	// and returns who it names; cmd wires the authorizer here. Its errors
	// must not quote the token.
	VerifyUserToken func(ctx context.Context, raw string) (UserClaims, error)
	Providers       []Oauth2CredentialProvider
	Workloads       []WorkloadIdentity
	// RefreshBefore: a cached token is reused until this close to its
	// expiry. Default 5m.
	RefreshBefore time.Duration
	// WorkloadTokenTTL caps a WAT's lifetime; it never outlives Token A.
	// Default 1h.
	WorkloadTokenTTL time.Duration
	Now              func() time.Time
	// Logger receives operational logs, never a secret; default discards.
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultRefreshBefore    = 5 * time.Minute
	DefaultWorkloadTokenTTL = time.Hour
)

// ErrInvalidConfig is wrapped by New's error, which lists every problem.
var ErrInvalidConfig = errors.New("identity: invalid config")

var (
	providerNameRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,128}$`)
	workloadNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
)

// entraDiscoveryURL is Microsoft's public-cloud discovery document.
func entraDiscoveryURL(tenantID string) string {
	return "https://login.microsoftonline.com/" + url.PathEscape(tenantID) + "/v2.0/.well-known/openid-configuration"
}

// provider is a validated provider with its defaults applied.
type provider struct {
	Oauth2CredentialProvider
	auth      oauth.ClientAuth
	discovery string
	oboGrant  string // "" when the provider has no OBO configuration
}

// validate checks cfg, returning every problem at once, each naming its key.
func (cfg *Config) validate() (map[string]*provider, map[string]WorkloadIdentity, error) {
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
	if cfg.VerifyUserToken == nil {
		bad("VerifyUserToken", "required")
	}
	if cfg.RefreshBefore < 0 {
		bad("RefreshBefore", "must not be negative")
	}
	if cfg.WorkloadTokenTTL < 0 {
		bad("WorkloadTokenTTL", "must not be negative")
	}

	providers := map[string]*provider{}
	for i, p := range cfg.Providers {
		key := fmt.Sprintf("Providers[%d]", i)
		if !providerNameRE.MatchString(p.Name) {
			bad(key+".Name", "must be 1-128 of [a-zA-Z0-9-_], got %q", p.Name)
		} else if providers[p.Name] != nil {
			bad(key+".Name", "%q is used twice", p.Name)
		}
		vp := &provider{Oauth2CredentialProvider: p, discovery: p.DiscoveryURL, oboGrant: p.OnBehalfOfGrantType}
		switch p.CredentialProviderVendor {
		case VendorMicrosoftOauth2:
			if p.TenantID == "" {
				bad(key+".TenantID", "required for MicrosoftOauth2")
			}
			if vp.discovery == "" {
				vp.discovery = entraDiscoveryURL(p.TenantID)
			}
			if vp.oboGrant == "" {
				vp.oboGrant = GrantJWTAuthorization
			}
		case VendorCustomOauth2:
			if p.DiscoveryURL == "" {
				bad(key+".DiscoveryURL", "required for CustomOauth2")
			}
		default:
			bad(key+".CredentialProviderVendor", "must be %s or %s, got %q", VendorMicrosoftOauth2, VendorCustomOauth2, p.CredentialProviderVendor)
		}
		if p.DiscoveryURL != "" {
			if msg := checkDiscoveryURL(p.DiscoveryURL); msg != "" {
				bad(key+".DiscoveryURL", "%s", msg)
			}
		}
		switch vp.oboGrant {
		case "", GrantJWTAuthorization, GrantTokenExchange:
		default:
			bad(key+".OnBehalfOfGrantType", "must be %s or %s, got %q", GrantJWTAuthorization, GrantTokenExchange, p.OnBehalfOfGrantType)
		}
		if p.ClientID == "" {
			bad(key+".ClientID", "required")
		}
		if p.ClientSecret == "" {
			bad(key+".ClientSecret", "required")
		}
		method, ok := authMethod(p.ClientAuthenticationMethod)
		if !ok {
			bad(key+".ClientAuthenticationMethod", "must be client_secret_post or client_secret_basic, got %q", p.ClientAuthenticationMethod)
		}
		vp.auth = oauth.ClientAuth{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Method: method}
		if _, dup := providers[p.Name]; !dup {
			providers[p.Name] = vp
		}
	}

	workloads := map[string]WorkloadIdentity{}
	for i, w := range cfg.Workloads {
		key := fmt.Sprintf("Workloads[%d]", i)
		if !workloadNameRE.MatchString(w.Name) {
			bad(key+".Name", "must be 3-255 of [A-Za-z0-9_.-], got %q", w.Name)
		} else if _, dup := workloads[w.Name]; dup {
			bad(key+".Name", "%q is used twice", w.Name)
		}
		for j, name := range w.AllowedProviders {
			if _, ok := providers[name]; !ok {
				bad(fmt.Sprintf("%s.AllowedProviders[%d]", key, j), "%q is not in Providers", name)
			}
		}
		if _, dup := workloads[w.Name]; !dup {
			workloads[w.Name] = w
		}
	}
	if len(problems) > 0 {
		return nil, nil, fmt.Errorf("%w: %w", ErrInvalidConfig, errors.Join(problems...))
	}
	return providers, workloads, nil
}

func authMethod(s string) (oauth.AuthMethod, bool) {
	switch strings.ToLower(s) {
	case "", "client_secret_post":
		return oauth.AuthSecretPost, true
	case "client_secret_basic":
		return oauth.AuthSecretBasic, true
	}
	return "", false
}

func checkDiscoveryURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		return "must be an absolute http(s) URL"
	case !strings.HasSuffix(u.Path, "/.well-known/openid-configuration") && !strings.HasSuffix(u.Path, "/.well-known/oauth-authorization-server"):
		return "must end in /.well-known/openid-configuration or /.well-known/oauth-authorization-server"
	}
	return ""
}
