package bedrock

import (
	"context"
	"fmt"
	"time"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// Environment variables FromEnv reads.
const (
	EnvRegion          = "AWS_REGION"
	EnvDefaultRegion   = "AWS_DEFAULT_REGION"
	EnvModelID         = "ONBEHALF_BEDROCK_MODEL_ID"
	EnvEndpoint        = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
	EnvAccessKeyID     = "AWS_ACCESS_KEY_ID"
	EnvSecretAccessKey = "AWS_SECRET_ACCESS_KEY"
	EnvSessionToken    = "AWS_SESSION_TOKEN"
	EnvProfile         = "AWS_PROFILE"
)

// credentialCheckTimeout bounds the credential lookup of FromEnv, which
// may reach the instance metadata service.
const credentialCheckTimeout = 10 * time.Second

// FromEnv returns a Provider configured from the environment. Without
// AWS_REGION (or AWS_DEFAULT_REGION) ok is false: Bedrock is not
// configured. ONBEHALF_BEDROCK_MODEL_ID overrides the model id and
// AWS_ENDPOINT_URL_BEDROCK_RUNTIME the endpoint. Credentials are
// AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN when set, else
// the standard chain (AWS_PROFILE, shared config and SSO, web identity,
// container and instance roles), which FromEnv asks once for credentials:
// a region without usable credentials is an error wrapping model.ErrAuth
// (and ok false), so a misconfiguration is reported at start, not at the
// first question. base supplies the rest (HTTPClient, retries). lookup
// reads the variables above (os.LookupEnv when nil); the chain itself
// reads the process environment and files.
func FromEnv(ctx context.Context, lookup func(string) (string, bool), base Options) (*Provider, bool, error) {
	get := provider.Getenv(lookup)
	region := get(EnvRegion)
	if region == "" {
		region = get(EnvDefaultRegion)
	}
	if region == "" {
		return nil, false, nil
	}
	base.Region = region
	if v := get(EnvModelID); v != "" {
		base.ModelID = v
	}
	if v := get(EnvEndpoint); v != "" {
		base.BaseURL = v
	}
	if id, secret := get(EnvAccessKeyID), get(EnvSecretAccessKey); base.Credentials == nil && id != "" && secret != "" {
		base.Credentials = &Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: get(EnvSessionToken)}
	}
	if v := get(EnvProfile); v != "" && base.Profile == "" {
		base.Profile = v
	}
	p, err := New(base)
	if err != nil {
		return nil, false, err
	}
	ctx, cancel := context.WithTimeout(ctx, credentialCheckTimeout)
	defer cancel()
	creds := p.client.Options().Credentials
	if creds == nil {
		return nil, false, fmt.Errorf("bedrock: %s is set but no AWS credentials could be loaded: %w", EnvRegion, model.ErrAuth)
	}
	if _, err := creds.Retrieve(ctx); err != nil {
		// The chain's error is left out: it names files and profiles
		// but says little more than this.
		return nil, false, fmt.Errorf("bedrock: %s is set but no AWS credentials could be loaded: %w", EnvRegion, model.ErrAuth)
	}
	return p, true, nil
}
