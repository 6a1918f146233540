package identity

import (
	"encoding/json"
	"fmt"
	"time"
)

// The control-plane shapes of bedrock-agentcore-control (2023-06-05), with
// the model's JSON member names. Members marked "onbehalf extension" are not
// in the AWS model; AWS clients never send them.

// Secret names where a secret is kept (clientSecretArn, apiKeySecretArn).
// onbehalf keeps the secret sealed in its own store; the ARN is a stable
// name in AWS's format, not a Secrets Manager secret.
type Secret struct {
	SecretArn string `json:"secretArn"`
}

// Oauth2Discovery is a union: exactly one of DiscoveryURL and
// AuthorizationServerMetadata.
type Oauth2Discovery struct {
	DiscoveryURL                string                             `json:"discoveryUrl,omitempty"`
	AuthorizationServerMetadata *Oauth2AuthorizationServerMetadata `json:"authorizationServerMetadata,omitempty"`
}

// Oauth2AuthorizationServerMetadata is explicit metadata for an
// authorization server without a discovery document.
type Oauth2AuthorizationServerMetadata struct {
	Issuer                   string   `json:"issuer"`
	AuthorizationEndpoint    string   `json:"authorizationEndpoint"`
	TokenEndpoint            string   `json:"tokenEndpoint"`
	ResponseTypes            []string `json:"responseTypes,omitempty"`
	TokenEndpointAuthMethods []string `json:"tokenEndpointAuthMethods,omitempty"`
}

// OnBehalfOfTokenExchangeConfig configures ON_BEHALF_OF_TOKEN_EXCHANGE.
type OnBehalfOfTokenExchangeConfig struct {
	GrantType                    string                        `json:"grantType"` // TOKEN_EXCHANGE | JWT_AUTHORIZATION_GRANT
	TokenExchangeGrantTypeConfig *TokenExchangeGrantTypeConfig `json:"tokenExchangeGrantTypeConfig,omitempty"`
}

// TokenExchangeGrantTypeConfig configures the RFC 8693 actor.
type TokenExchangeGrantTypeConfig struct {
	// ActorTokenContent is NONE (no actor) or M2M (the provider's own
	// client-credentials token is sent as actor_token). AWS_IAM_ID_TOKEN_JWT
	// is refused: there is no AWS IAM here.
	ActorTokenContent string `json:"actorTokenContent"`
	// ActorTokenScopes are the scopes of the M2M actor token.
	ActorTokenScopes []string `json:"actorTokenScopes,omitempty"`
}

// PrivateKeyJwtConfig configures PRIVATE_KEY_JWT client authentication (a
// member of newer AgentCore models). The broker signs with a key it
// generates per provider (or privateKeyPem) and publishes the public key
// (Broker.JWKSHandler); AWS's KMS key source is not supported.
type PrivateKeyJwtConfig struct {
	SigningAlgorithm        string            `json:"signingAlgorithm,omitempty"` // RS256 (default), PS256, ES256
	AdditionalPayloadClaims map[string]string `json:"additionalPayloadClaims,omitempty"`
}

// CustomOauth2ProviderConfigInput configures any OAuth 2.0 server.
type CustomOauth2ProviderConfigInput struct {
	OauthDiscovery                Oauth2Discovery                `json:"oauthDiscovery"`
	ClientID                      string                         `json:"clientId,omitempty"`
	ClientSecret                  string                         `json:"clientSecret,omitempty"`
	ClientAuthenticationMethod    string                         `json:"clientAuthenticationMethod,omitempty"` // CLIENT_SECRET_BASIC | CLIENT_SECRET_POST (default) | PRIVATE_KEY_JWT
	OnBehalfOfTokenExchangeConfig *OnBehalfOfTokenExchangeConfig `json:"onBehalfOfTokenExchangeConfig,omitempty"`
	PrivateKeyJwtConfig           *PrivateKeyJwtConfig           `json:"privateKeyJwtConfig,omitempty"`
	// PrivateEndpoint and PrivateEndpointOverrides (VPC Lattice) are in the
	// model; onbehalf refuses them.
	PrivateEndpoint          json.RawMessage `json:"privateEndpoint,omitempty"`
	PrivateEndpointOverrides json.RawMessage `json:"privateEndpointOverrides,omitempty"`
	// PrivateKeyPEM (onbehalf extension) is the PKCS#8 or PKCS#1/SEC 1 PEM
	// private key for PRIVATE_KEY_JWT; empty makes the broker generate one.
	PrivateKeyPEM string `json:"privateKeyPem,omitempty"`
}

// MicrosoftOauth2ProviderConfigInput configures Microsoft Entra ID; the
// broker uses JWT_AUTHORIZATION_GRANT with requested_token_use=on_behalf_of
// for ON_BEHALF_OF_TOKEN_EXCHANGE.
type MicrosoftOauth2ProviderConfigInput struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
	TenantID     string `json:"tenantId,omitempty"` // default "common"
	// DiscoveryURL (onbehalf extension) replaces
	// https://login.microsoftonline.com/{tenantId}/v2.0/.well-known/openid-configuration
	// (sovereign clouds, the Entra emulator).
	DiscoveryURL string `json:"discoveryUrl,omitempty"`
}

// VendorOauth2ProviderConfigInput configures a vendor whose endpoints the
// broker knows (Google, GitHub, Slack, Salesforce, Atlassian, LinkedIn).
type VendorOauth2ProviderConfigInput struct {
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// IncludedOauth2ProviderConfigInput configures the other vendors (Okta,
// Auth0, Cognito, …): the endpoints must be given.
type IncludedOauth2ProviderConfigInput struct {
	ClientID              string `json:"clientId"`
	ClientSecret          string `json:"clientSecret"`
	Issuer                string `json:"issuer,omitempty"`
	AuthorizationEndpoint string `json:"authorizationEndpoint,omitempty"`
	TokenEndpoint         string `json:"tokenEndpoint,omitempty"`
}

// Oauth2ProviderConfigInput is a union: exactly one member, the one that
// matches credentialProviderVendor.
type Oauth2ProviderConfigInput struct {
	CustomOauth2ProviderConfig     *CustomOauth2ProviderConfigInput    `json:"customOauth2ProviderConfig,omitempty"`
	GoogleOauth2ProviderConfig     *VendorOauth2ProviderConfigInput    `json:"googleOauth2ProviderConfig,omitempty"`
	GithubOauth2ProviderConfig     *VendorOauth2ProviderConfigInput    `json:"githubOauth2ProviderConfig,omitempty"`
	SlackOauth2ProviderConfig      *VendorOauth2ProviderConfigInput    `json:"slackOauth2ProviderConfig,omitempty"`
	SalesforceOauth2ProviderConfig *VendorOauth2ProviderConfigInput    `json:"salesforceOauth2ProviderConfig,omitempty"`
	MicrosoftOauth2ProviderConfig  *MicrosoftOauth2ProviderConfigInput `json:"microsoftOauth2ProviderConfig,omitempty"`
	AtlassianOauth2ProviderConfig  *VendorOauth2ProviderConfigInput    `json:"atlassianOauth2ProviderConfig,omitempty"`
	LinkedinOauth2ProviderConfig   *VendorOauth2ProviderConfigInput    `json:"linkedinOauth2ProviderConfig,omitempty"`
	IncludedOauth2ProviderConfig   *IncludedOauth2ProviderConfigInput  `json:"includedOauth2ProviderConfig,omitempty"`
}

// CustomOauth2ProviderConfigOutput is the custom configuration without its
// secrets.
type CustomOauth2ProviderConfigOutput struct {
	OauthDiscovery                Oauth2Discovery                `json:"oauthDiscovery"`
	ClientID                      string                         `json:"clientId,omitempty"`
	ClientAuthenticationMethod    string                         `json:"clientAuthenticationMethod,omitempty"`
	OnBehalfOfTokenExchangeConfig *OnBehalfOfTokenExchangeConfig `json:"onBehalfOfTokenExchangeConfig,omitempty"`
	PrivateKeyJwtConfig           *PrivateKeyJwtConfig           `json:"privateKeyJwtConfig,omitempty"`
}

// VendorOauth2ProviderConfigOutput is every other vendor's configuration
// output: where the broker finds the server, and the client id.
type VendorOauth2ProviderConfigOutput struct {
	OauthDiscovery Oauth2Discovery `json:"oauthDiscovery"`
	ClientID       string          `json:"clientId,omitempty"`
}

// Oauth2ProviderConfigOutput is a union like Oauth2ProviderConfigInput.
type Oauth2ProviderConfigOutput struct {
	CustomOauth2ProviderConfig     *CustomOauth2ProviderConfigOutput `json:"customOauth2ProviderConfig,omitempty"`
	GoogleOauth2ProviderConfig     *VendorOauth2ProviderConfigOutput `json:"googleOauth2ProviderConfig,omitempty"`
	GithubOauth2ProviderConfig     *VendorOauth2ProviderConfigOutput `json:"githubOauth2ProviderConfig,omitempty"`
	SlackOauth2ProviderConfig      *VendorOauth2ProviderConfigOutput `json:"slackOauth2ProviderConfig,omitempty"`
	SalesforceOauth2ProviderConfig *VendorOauth2ProviderConfigOutput `json:"salesforceOauth2ProviderConfig,omitempty"`
	MicrosoftOauth2ProviderConfig  *VendorOauth2ProviderConfigOutput `json:"microsoftOauth2ProviderConfig,omitempty"`
	AtlassianOauth2ProviderConfig  *VendorOauth2ProviderConfigOutput `json:"atlassianOauth2ProviderConfig,omitempty"`
	LinkedinOauth2ProviderConfig   *VendorOauth2ProviderConfigOutput `json:"linkedinOauth2ProviderConfig,omitempty"`
	IncludedOauth2ProviderConfig   *VendorOauth2ProviderConfigOutput `json:"includedOauth2ProviderConfig,omitempty"`
}

// Provider status (Status); the broker's providers are always READY.
const StatusReady = "READY"

// CreateOauth2CredentialProviderInput is the operation's input.
type CreateOauth2CredentialProviderInput struct {
	Name                      string                    `json:"name"`
	CredentialProviderVendor  string                    `json:"credentialProviderVendor"`
	Oauth2ProviderConfigInput Oauth2ProviderConfigInput `json:"oauth2ProviderConfigInput"`
	Tags                      map[string]string         `json:"tags,omitempty"`
}

// String never prints the client secret or private key.
func (in CreateOauth2CredentialProviderInput) String() string {
	return fmt.Sprintf("identity.CreateOauth2CredentialProviderInput{name=%q vendor=%q}", in.Name, in.CredentialProviderVendor)
}

// CreateOauth2CredentialProviderOutput is the operation's output. It never
// holds the client secret.
type CreateOauth2CredentialProviderOutput struct {
	ClientSecretArn            Secret                     `json:"clientSecretArn"`
	Name                       string                     `json:"name"`
	CredentialProviderArn      string                     `json:"credentialProviderArn"`
	CallbackURL                string                     `json:"callbackUrl,omitempty"`
	Oauth2ProviderConfigOutput Oauth2ProviderConfigOutput `json:"oauth2ProviderConfigOutput"`
	Status                     string                     `json:"status,omitempty"`
}

// GetOauth2CredentialProviderInput is the operation's input.
type GetOauth2CredentialProviderInput struct {
	Name string `json:"name"`
}

// GetOauth2CredentialProviderOutput is the operation's output (also
// UpdateOauth2CredentialProvider's). It never holds the client secret.
type GetOauth2CredentialProviderOutput struct {
	ClientSecretArn            Secret                     `json:"clientSecretArn"`
	Name                       string                     `json:"name"`
	CredentialProviderArn      string                     `json:"credentialProviderArn"`
	CredentialProviderVendor   string                     `json:"credentialProviderVendor"`
	CallbackURL                string                     `json:"callbackUrl,omitempty"`
	Oauth2ProviderConfigOutput Oauth2ProviderConfigOutput `json:"oauth2ProviderConfigOutput"`
	CreatedTime                time.Time                  `json:"createdTime"`
	LastUpdatedTime            time.Time                  `json:"lastUpdatedTime"`
	Status                     string                     `json:"status,omitempty"`
}

// UpdateOauth2CredentialProviderInput is the operation's input: the whole
// new configuration (the model has no partial update). An empty client
// secret keeps the stored one (onbehalf: so that a configuration can be
// edited without re-entering the secret).
type UpdateOauth2CredentialProviderInput struct {
	Name                      string                    `json:"name"`
	CredentialProviderVendor  string                    `json:"credentialProviderVendor"`
	Oauth2ProviderConfigInput Oauth2ProviderConfigInput `json:"oauth2ProviderConfigInput"`
}

// String never prints the client secret or private key.
func (in UpdateOauth2CredentialProviderInput) String() string {
	return fmt.Sprintf("identity.UpdateOauth2CredentialProviderInput{name=%q vendor=%q}", in.Name, in.CredentialProviderVendor)
}

// UpdateOauth2CredentialProviderOutput is the operation's output.
type UpdateOauth2CredentialProviderOutput = GetOauth2CredentialProviderOutput

// ListOauth2CredentialProvidersInput is the operation's input; MaxResults
// is 1-20 (0: 20).
type ListOauth2CredentialProvidersInput struct {
	NextToken  string `json:"nextToken,omitempty"`
	MaxResults int    `json:"maxResults,omitempty"`
}

// Oauth2CredentialProviderItem is one listed provider.
type Oauth2CredentialProviderItem struct {
	Name                     string    `json:"name"`
	CredentialProviderVendor string    `json:"credentialProviderVendor"`
	CredentialProviderArn    string    `json:"credentialProviderArn"`
	CreatedTime              time.Time `json:"createdTime"`
	LastUpdatedTime          time.Time `json:"lastUpdatedTime"`
}

// ListOauth2CredentialProvidersOutput is the operation's output.
type ListOauth2CredentialProvidersOutput struct {
	CredentialProviders []Oauth2CredentialProviderItem `json:"credentialProviders"`
	NextToken           string                         `json:"nextToken,omitempty"`
}

// DeleteOauth2CredentialProviderInput is the operation's input.
type DeleteOauth2CredentialProviderInput struct {
	Name string `json:"name"`
}

// DeleteOauth2CredentialProviderOutput is the operation's (empty) output.
type DeleteOauth2CredentialProviderOutput struct{}

// CreateApiKeyCredentialProviderInput is the operation's input.
type CreateApiKeyCredentialProviderInput struct {
	Name   string            `json:"name"`
	APIKey string            `json:"apiKey"`
	Tags   map[string]string `json:"tags,omitempty"`
}

// String never prints the API key.
func (in CreateApiKeyCredentialProviderInput) String() string {
	return fmt.Sprintf("identity.CreateApiKeyCredentialProviderInput{name=%q apiKey=%d bytes}", in.Name, len(in.APIKey))
}

// CreateApiKeyCredentialProviderOutput is the operation's output.
type CreateApiKeyCredentialProviderOutput struct {
	APIKeySecretArn       Secret `json:"apiKeySecretArn"`
	Name                  string `json:"name"`
	CredentialProviderArn string `json:"credentialProviderArn"`
}

// GetApiKeyCredentialProviderInput is the operation's input.
type GetApiKeyCredentialProviderInput struct {
	Name string `json:"name"`
}

// GetApiKeyCredentialProviderOutput is the operation's output (also
// UpdateApiKeyCredentialProvider's). It never holds the key.
type GetApiKeyCredentialProviderOutput struct {
	APIKeySecretArn       Secret    `json:"apiKeySecretArn"`
	Name                  string    `json:"name"`
	CredentialProviderArn string    `json:"credentialProviderArn"`
	CreatedTime           time.Time `json:"createdTime"`
	LastUpdatedTime       time.Time `json:"lastUpdatedTime"`
}

// UpdateApiKeyCredentialProviderInput is the operation's input.
type UpdateApiKeyCredentialProviderInput struct {
	Name   string `json:"name"`
	APIKey string `json:"apiKey"`
}

// String never prints the API key.
func (in UpdateApiKeyCredentialProviderInput) String() string {
	return fmt.Sprintf("identity.UpdateApiKeyCredentialProviderInput{name=%q apiKey=%d bytes}", in.Name, len(in.APIKey))
}

// UpdateApiKeyCredentialProviderOutput is the operation's output.
type UpdateApiKeyCredentialProviderOutput = GetApiKeyCredentialProviderOutput

// ListApiKeyCredentialProvidersInput is the operation's input; MaxResults
// is 1-100 (0: 100).
type ListApiKeyCredentialProvidersInput struct {
	NextToken  string `json:"nextToken,omitempty"`
	MaxResults int    `json:"maxResults,omitempty"`
}

// ApiKeyCredentialProviderItem is one listed provider.
type ApiKeyCredentialProviderItem struct {
	Name                  string    `json:"name"`
	CredentialProviderArn string    `json:"credentialProviderArn"`
	CreatedTime           time.Time `json:"createdTime"`
	LastUpdatedTime       time.Time `json:"lastUpdatedTime"`
}

// ListApiKeyCredentialProvidersOutput is the operation's output.
type ListApiKeyCredentialProvidersOutput struct {
	CredentialProviders []ApiKeyCredentialProviderItem `json:"credentialProviders"`
	NextToken           string                         `json:"nextToken,omitempty"`
}

// DeleteApiKeyCredentialProviderInput is the operation's input.
type DeleteApiKeyCredentialProviderInput struct {
	Name string `json:"name"`
}

// DeleteApiKeyCredentialProviderOutput is the operation's (empty) output.
type DeleteApiKeyCredentialProviderOutput struct{}

// CreateWorkloadIdentityInput is the operation's input.
type CreateWorkloadIdentityInput struct {
	Name                            string            `json:"name"`
	AllowedResourceOauth2ReturnUrls []string          `json:"allowedResourceOauth2ReturnUrls,omitempty"`
	Tags                            map[string]string `json:"tags,omitempty"`
	// AllowedCredentialProviders (onbehalf extension) names the credential
	// providers the workload may use; empty allows all.
	AllowedCredentialProviders []string `json:"allowedCredentialProviders,omitempty"`
}

// CreateWorkloadIdentityOutput is the operation's output.
type CreateWorkloadIdentityOutput struct {
	Name                            string   `json:"name"`
	WorkloadIdentityArn             string   `json:"workloadIdentityArn"`
	AllowedResourceOauth2ReturnUrls []string `json:"allowedResourceOauth2ReturnUrls,omitempty"`
}

// GetWorkloadIdentityInput is the operation's input.
type GetWorkloadIdentityInput struct {
	Name string `json:"name"`
}

// GetWorkloadIdentityOutput is the operation's output (also
// UpdateWorkloadIdentity's).
type GetWorkloadIdentityOutput struct {
	Name                            string    `json:"name"`
	WorkloadIdentityArn             string    `json:"workloadIdentityArn"`
	AllowedResourceOauth2ReturnUrls []string  `json:"allowedResourceOauth2ReturnUrls,omitempty"`
	CreatedTime                     time.Time `json:"createdTime"`
	LastUpdatedTime                 time.Time `json:"lastUpdatedTime"`
	// AllowedCredentialProviders (onbehalf extension); empty allows all.
	AllowedCredentialProviders []string `json:"allowedCredentialProviders,omitempty"`
}

// UpdateWorkloadIdentityInput is the operation's input. The return URL list
// is replaced (absent clears it, as in AgentCore).
type UpdateWorkloadIdentityInput struct {
	Name                            string   `json:"name"`
	AllowedResourceOauth2ReturnUrls []string `json:"allowedResourceOauth2ReturnUrls,omitempty"`
	// AllowedCredentialProviders (onbehalf extension): nil keeps the stored
	// list (AWS clients never send it, and must not widen a workload by
	// omission); a non-nil empty list allows all.
	AllowedCredentialProviders *[]string `json:"allowedCredentialProviders,omitempty"`
}

// UpdateWorkloadIdentityOutput is the operation's output.
type UpdateWorkloadIdentityOutput = GetWorkloadIdentityOutput

// ListWorkloadIdentitiesInput is the operation's input; MaxResults is 1-20
// (0: 20).
type ListWorkloadIdentitiesInput struct {
	NextToken  string `json:"nextToken,omitempty"`
	MaxResults int    `json:"maxResults,omitempty"`
}

// WorkloadIdentityType is one listed workload identity.
type WorkloadIdentityType struct {
	Name                string `json:"name"`
	WorkloadIdentityArn string `json:"workloadIdentityArn"`
}

// ListWorkloadIdentitiesOutput is the operation's output.
type ListWorkloadIdentitiesOutput struct {
	WorkloadIdentities []WorkloadIdentityType `json:"workloadIdentities"`
	NextToken          string                 `json:"nextToken,omitempty"`
}

// DeleteWorkloadIdentityInput is the operation's input.
type DeleteWorkloadIdentityInput struct {
	Name string `json:"name"`
}

// DeleteWorkloadIdentityOutput is the operation's (empty) output.
type DeleteWorkloadIdentityOutput struct{}

// GetTokenVaultInput is the operation's input; TokenVaultID defaults to
// "default", the only vault.
type GetTokenVaultInput struct {
	TokenVaultID string `json:"tokenVaultId,omitempty"`
}

// KmsConfiguration says how the vault is encrypted.
type KmsConfiguration struct {
	KeyType   string `json:"keyType"` // ServiceManagedKey: the broker's keyring
	KmsKeyArn string `json:"kmsKeyArn,omitempty"`
}

// GetTokenVaultOutput is the operation's output.
type GetTokenVaultOutput struct {
	TokenVaultID     string           `json:"tokenVaultId"`
	KmsConfiguration KmsConfiguration `json:"kmsConfiguration"`
	LastModifiedDate time.Time        `json:"lastModifiedDate"`
}
