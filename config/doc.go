// Package config is the one YAML file that `onbehalf serve` runs (and that
// `onbehalf dev` writes for the local stack). Its shapes mirror the AWS
// JSON of the article, so a reader of the article recognises every key:
// credentialProviders hold oauth2ProviderConfigInput with
// microsoftOauth2ProviderConfig or customOauth2ProviderConfig, agents hold
// authorizerConfiguration.customJWTAuthorizer, and so on.
//
// ${NAME} anywhere in the file is replaced from the environment (or the
// lookup the caller gives), so secrets stay out of the file. Validate
// reports every problem at once, each naming its key.
package config
