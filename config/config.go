package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
)

// Config is the whole file.
type Config struct {
	// Store is the database: "sqlite:/path/onbehalf.db" or "postgres://…".
	Store    string   `yaml:"store"`
	Keys     Keys     `yaml:"keys"`
	Identity Identity `yaml:"identity"`
	Runtime  Runtime  `yaml:"runtime"`
	// Metrics, when set, serves Prometheus metrics.
	Metrics *Metrics `yaml:"metrics,omitempty"`
}

// Metrics serves GET /metrics (Prometheus text format) on its own
// listener: counts and latencies only, never a user or a token, but keep
// it off the public network all the same.
type Metrics struct {
	Listen string `yaml:"listen"`
}

// Keys locates the vault encryption keys.
type Keys struct {
	File string `yaml:"file"`
}

// Identity configures the identity broker.
type Identity struct {
	Listen              string               `yaml:"listen"`
	CredentialProviders []CredentialProvider `yaml:"credentialProviders"`
	WorkloadIdentities  []WorkloadIdentity   `yaml:"workloadIdentities"`
}

// CredentialProvider mirrors CreateOauth2CredentialProvider's input.
type CredentialProvider struct {
	Name                      string              `yaml:"name"`
	CredentialProviderVendor  string              `yaml:"credentialProviderVendor"`
	Oauth2ProviderConfigInput ProviderConfigInput `yaml:"oauth2ProviderConfigInput"`
}

// ProviderConfigInput holds exactly one vendor's configuration.
type ProviderConfigInput struct {
	MicrosoftOauth2ProviderConfig *MicrosoftOauth2ProviderConfig `yaml:"microsoftOauth2ProviderConfig,omitempty"`
	CustomOauth2ProviderConfig    *CustomOauth2ProviderConfig    `yaml:"customOauth2ProviderConfig,omitempty"`
}

// MicrosoftOauth2ProviderConfig is Entra ID. DiscoveryURL is an onbehalf
// extension for sovereign clouds and the local Entra emulator; by default
// it is https://login.microsoftonline.com/{tenantId}/v2.0/.well-known/openid-configuration.
type MicrosoftOauth2ProviderConfig struct {
	TenantID     string `yaml:"tenantId"`
	ClientID     string `yaml:"clientId"`
	ClientSecret string `yaml:"clientSecret"`
	DiscoveryURL string `yaml:"discoveryUrl,omitempty"`
}

// CustomOauth2ProviderConfig is any OAuth 2.0 / OIDC provider.
type CustomOauth2ProviderConfig struct {
	OauthDiscovery                OauthDiscovery                 `yaml:"oauthDiscovery"`
	ClientID                      string                         `yaml:"clientId"`
	ClientSecret                  string                         `yaml:"clientSecret"`
	ClientAuthenticationMethod    string                         `yaml:"clientAuthenticationMethod,omitempty"`
	OnBehalfOfTokenExchangeConfig *OnBehalfOfTokenExchangeConfig `yaml:"onBehalfOfTokenExchangeConfig,omitempty"`
}

// OauthDiscovery locates the provider's metadata.
type OauthDiscovery struct {
	DiscoveryURL string `yaml:"discoveryUrl"`
}

// OnBehalfOfTokenExchangeConfig picks the OBO grant.
type OnBehalfOfTokenExchangeConfig struct {
	GrantType string `yaml:"grantType"` // JWT_AUTHORIZATION_GRANT | TOKEN_EXCHANGE
}

// WorkloadIdentity mirrors CreateWorkloadIdentity's input.
type WorkloadIdentity struct {
	Name                            string   `yaml:"name"`
	AllowedResourceOauth2ReturnUrls []string `yaml:"allowedResourceOauth2ReturnUrls,omitempty"`
}

// Runtime configures the agent runtime.
type Runtime struct {
	Listen string  `yaml:"listen"`
	Agents []Agent `yaml:"agents"`
	// SessionIdleTimeout and SessionMaxLifetime bound a conversation
	// (Go durations; default 15m and 8h, as AgentCore Runtime).
	SessionIdleTimeout string `yaml:"sessionIdleTimeout,omitempty"`
	SessionMaxLifetime string `yaml:"sessionMaxLifetime,omitempty"`
	// UI serves the chat UI at / when set.
	UI *UI `yaml:"ui,omitempty"`
	// PublicURL is the runtime's URL as clients reach it (scheme and host,
	// e.g. behind a TLS-terminating proxy), used in the protected resource
	// metadata and 401 challenges; empty uses each request's Host.
	PublicURL string `yaml:"publicUrl,omitempty"`
}

// UI is the chat UI's sign-in: the browser runs OpenID Connect
// authorization code + PKCE against Authority as ClientID (the Agent App
// registration, with the runtime's URL as a SPA redirect URI).
type UI struct {
	Authority string   `yaml:"authority"`
	ClientID  string   `yaml:"clientId"`
	Scopes    []string `yaml:"scopes"`
}

// Agent is one hosted agent.
type Agent struct {
	Name                    string                  `yaml:"name"`
	WorkloadIdentity        string                  `yaml:"workloadIdentity"`
	AuthorizerConfiguration AuthorizerConfiguration `yaml:"authorizerConfiguration"`
	Model                   Model                   `yaml:"model"`
	ServiceNow              *ServiceNow             `yaml:"servicenow,omitempty"`
	// Endpoint, when set, is the URL of an agent container serving the
	// AgentCore Runtime contract (e.g. examples/servicenow-agent); the
	// runtime forwards authenticated invocations to it, with a workload
	// access token instead of the user's token. Model and servicenow are
	// then the container's business.
	Endpoint string `yaml:"endpoint,omitempty"`
	// ConfirmWrites makes writes wait for the user's confirmation
	// (default true).
	ConfirmWrites *bool `yaml:"confirmWrites,omitempty"`
}

// AuthorizerConfiguration mirrors AgentCore Runtime's.
type AuthorizerConfiguration struct {
	CustomJWTAuthorizer CustomJWTAuthorizer `yaml:"customJWTAuthorizer"`
}

// CustomJWTAuthorizer validates inbound tokens.
type CustomJWTAuthorizer struct {
	DiscoveryURL    string   `yaml:"discoveryUrl"`
	AllowedClients  []string `yaml:"allowedClients,omitempty"`
	AllowedAudience []string `yaml:"allowedAudience,omitempty"`
	AllowedScopes   []string `yaml:"allowedScopes,omitempty"`
}

// Model picks the model provider.
type Model struct {
	// Provider is auto (default: a real model when its credentials are in
	// the environment, else offline), offline, anthropic, openai or bedrock.
	Provider string `yaml:"provider"`
	ID       string `yaml:"id,omitempty"`
	// BaseURL is an OpenAI-compatible server (Ollama, vLLM, LM Studio) or
	// another endpoint override.
	BaseURL string `yaml:"baseUrl,omitempty"`
	// Region is Bedrock's AWS region (AWS_REGION when empty).
	Region string `yaml:"region,omitempty"`
}

// ServiceNow connects the agent's tools to an instance.
type ServiceNow struct {
	InstanceURL        string   `yaml:"instanceUrl"`
	CredentialProvider string   `yaml:"credentialProvider"`
	Scopes             []string `yaml:"scopes"`
}

var varRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// Load reads the file at path, replaces ${NAME} through lookup
// (os.LookupEnv when nil), and validates it.
func Load(path string, lookup func(string) (string, bool)) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw, lookup)
}

// Parse is Load for bytes.
func Parse(raw []byte, lookup func(string) (string, bool)) (*Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var missing []string
	expanded := varRe.ReplaceAllFunc(raw, func(m []byte) []byte {
		name := string(varRe.FindSubmatch(m)[1])
		v, ok := lookup(name)
		if !ok {
			missing = append(missing, name)
			return m
		}
		// Quote so that a value can never turn into YAML structure.
		q, _ := yaml.Marshal(v)
		return bytes.TrimSpace(q)
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("config: environment variables not set: %s", strings.Join(missing, ", "))
	}
	var c Config
	if err := yaml.UnmarshalWithOptions(expanded, &c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("config: %s", yaml.FormatError(err, false, false))
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Marshal renders c as YAML.
func (c *Config) Marshal() ([]byte, error) { return yaml.Marshal(c) }

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if c.Store == "" {
		bad("store", "required (sqlite:/path/onbehalf.db or postgres://…)")
	} else if !strings.HasPrefix(c.Store, "sqlite:") && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		bad("store", "must start with sqlite:, postgres:// or postgresql://")
	}
	if c.Keys.File == "" {
		bad("keys.file", "required")
	}
	providers := map[string]bool{}
	for i, p := range c.Identity.CredentialProviders {
		key := fmt.Sprintf("identity.credentialProviders[%d]", i)
		validateProvider(key, p, bad)
		if providers[p.Name] {
			bad(key+".name", "duplicate %q", p.Name)
		}
		providers[p.Name] = true
	}
	workloads := map[string]bool{}
	for i, w := range c.Identity.WorkloadIdentities {
		key := fmt.Sprintf("identity.workloadIdentities[%d].name", i)
		if !workloadNameRe.MatchString(w.Name) {
			bad(key, "must be 3-255 of [A-Za-z0-9_.-]")
		}
		if workloads[w.Name] {
			bad(key, "duplicate %q", w.Name)
		}
		workloads[w.Name] = true
	}
	if c.Runtime.Listen == "" {
		bad("runtime.listen", "required (host:port)")
	}
	if c.Metrics != nil && c.Metrics.Listen == "" {
		bad("metrics.listen", "required (host:port) when metrics is set")
	}
	for key, v := range map[string]string{"runtime.sessionIdleTimeout": c.Runtime.SessionIdleTimeout, "runtime.sessionMaxLifetime": c.Runtime.SessionMaxLifetime} {
		if d, err := time.ParseDuration(v); v != "" && (err != nil || d <= 0) {
			bad(key, "must be a positive duration such as 15m or 8h")
		}
	}
	if p := c.Runtime.PublicURL; p != "" {
		if u, err := url.Parse(p); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			bad("runtime.publicUrl", "must be a scheme and host such as https://agents.example.com")
		}
	}
	if ui := c.Runtime.UI; ui != nil {
		if u, err := url.Parse(ui.Authority); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("runtime.ui.authority", "must be the IdP's issuer URL")
		}
		if ui.ClientID == "" {
			bad("runtime.ui.clientId", "required")
		}
	}
	if len(c.Runtime.Agents) == 0 {
		bad("runtime.agents", "at least one agent is required")
	}
	agentNames := map[string]bool{}
	for i, a := range c.Runtime.Agents {
		key := fmt.Sprintf("runtime.agents[%d]", i)
		validateAgent(key, a, workloads, providers, bad)
		if agentNames[a.Name] {
			bad(key+".name", "%q names another agent too (each is served at /runtimes/<name>/invocations)", a.Name)
		}
		agentNames[a.Name] = true
	}
	return errors.Join(errs...)
}

var (
	providerNameRe = regexp.MustCompile(`^[a-zA-Z0-9\-_]{1,128}$`)
	workloadNameRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{3,255}$`)
	// agentNameRe: AgentCore's agent runtime names, plus "-".
	agentNameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,47}$`)
)

func validateProvider(key string, p CredentialProvider, bad func(string, string, ...any)) {
	if !providerNameRe.MatchString(p.Name) {
		bad(key+".name", "must be 1-128 of [a-zA-Z0-9-_]")
	}
	in := p.Oauth2ProviderConfigInput
	cfgKey := key + ".oauth2ProviderConfigInput"
	switch p.CredentialProviderVendor {
	case "MicrosoftOauth2":
		m := in.MicrosoftOauth2ProviderConfig
		if m == nil {
			bad(cfgKey+".microsoftOauth2ProviderConfig", "required for vendor MicrosoftOauth2")
			return
		}
		k := cfgKey + ".microsoftOauth2ProviderConfig"
		if m.TenantID == "" {
			bad(k+".tenantId", "required")
		}
		requireClient(k, m.ClientID, m.ClientSecret, bad)
		if m.DiscoveryURL != "" {
			validateDiscoveryURL(k+".discoveryUrl", m.DiscoveryURL, bad)
		}
	case "CustomOauth2":
		cu := in.CustomOauth2ProviderConfig
		if cu == nil {
			bad(cfgKey+".customOauth2ProviderConfig", "required for vendor CustomOauth2")
			return
		}
		k := cfgKey + ".customOauth2ProviderConfig"
		validateDiscoveryURL(k+".oauthDiscovery.discoveryUrl", cu.OauthDiscovery.DiscoveryURL, bad)
		requireClient(k, cu.ClientID, cu.ClientSecret, bad)
		switch cu.ClientAuthenticationMethod {
		case "", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST":
		default:
			bad(k+".clientAuthenticationMethod", "must be CLIENT_SECRET_BASIC or CLIENT_SECRET_POST")
		}
		if o := cu.OnBehalfOfTokenExchangeConfig; o != nil && o.GrantType != "JWT_AUTHORIZATION_GRANT" && o.GrantType != "TOKEN_EXCHANGE" {
			bad(k+".onBehalfOfTokenExchangeConfig.grantType", "must be JWT_AUTHORIZATION_GRANT or TOKEN_EXCHANGE")
		}
	default:
		bad(key+".credentialProviderVendor", "must be MicrosoftOauth2 or CustomOauth2, got %q", p.CredentialProviderVendor)
	}
}

func requireClient(key, id, secret string, bad func(string, string, ...any)) {
	if id == "" {
		bad(key+".clientId", "required")
	}
	if secret == "" {
		bad(key+".clientSecret", "required (use ${ENV_VAR} to keep it out of the file)")
	}
}

func validateDiscoveryURL(key, raw string, bad func(string, string, ...any)) {
	u, err := url.Parse(raw)
	switch {
	case raw == "":
		bad(key, "required")
	case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
		bad(key, "must be an absolute http(s) URL")
	case !strings.HasSuffix(u.Path, "/.well-known/openid-configuration") && !strings.HasSuffix(u.Path, "/.well-known/oauth-authorization-server"):
		bad(key, "must end in /.well-known/openid-configuration or /.well-known/oauth-authorization-server")
	}
}

func validateAgent(key string, a Agent, workloads, providers map[string]bool, bad func(string, string, ...any)) {
	if !agentNameRe.MatchString(a.Name) {
		bad(key+".name", "must be 1-48 of [a-zA-Z0-9_-], starting with a letter")
	}
	if !workloads[a.WorkloadIdentity] {
		bad(key+".workloadIdentity", "%q is not in identity.workloadIdentities", a.WorkloadIdentity)
	}
	jwt := a.AuthorizerConfiguration.CustomJWTAuthorizer
	jk := key + ".authorizerConfiguration.customJWTAuthorizer"
	validateDiscoveryURL(jk+".discoveryUrl", jwt.DiscoveryURL, bad)
	if len(jwt.AllowedAudience) == 0 && len(jwt.AllowedClients) == 0 {
		bad(jk, "set allowedAudience or allowedClients (or both)")
	}
	switch a.Model.Provider {
	case "", "auto", "offline", "anthropic", "openai", "bedrock":
	default:
		bad(key+".model.provider", "%q is not one of auto, offline, anthropic, openai, bedrock", a.Model.Provider)
	}
	if a.Endpoint != "" {
		if u, err := url.Parse(a.Endpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(key+".endpoint", "must be an absolute http(s) URL")
		}
	}
	if sn := a.ServiceNow; sn != nil {
		sk := key + ".servicenow"
		if u, err := url.Parse(sn.InstanceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad(sk+".instanceUrl", "must be an absolute http(s) URL")
		}
		if !providers[sn.CredentialProvider] {
			bad(sk+".credentialProvider", "%q is not in identity.credentialProviders", sn.CredentialProvider)
		}
		if len(sn.Scopes) == 0 {
			bad(sk+".scopes", "at least one scope is required")
		}
	}
}
