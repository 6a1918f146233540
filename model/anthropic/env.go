package anthropic

import (
	"context"

	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// Environment variables FromEnv reads.
const (
	EnvAPIKey  = "ANTHROPIC_API_KEY"
	EnvBaseURL = "ANTHROPIC_BASE_URL"
	EnvModel   = "ONBEHALF_ANTHROPIC_MODEL"
)

// FromEnv returns a Provider configured from the environment:
// ANTHROPIC_API_KEY (without it ok is false: Anthropic is not configured),
// ANTHROPIC_BASE_URL and ONBEHALF_ANTHROPIC_MODEL override base's BaseURL
// and Model; base supplies the rest (HTTPClient, retries). lookup reads a
// variable (os.LookupEnv when nil). An error means the variables are set
// but unusable. ctx is unused; it keeps FromEnv alike across providers.
func FromEnv(_ context.Context, lookup func(string) (string, bool), base Options) (*Provider, bool, error) {
	get := provider.Getenv(lookup)
	key := get(EnvAPIKey)
	if key == "" {
		return nil, false, nil
	}
	base.APIKey = key
	if v := get(EnvBaseURL); v != "" {
		base.BaseURL = v
	}
	if v := get(EnvModel); v != "" {
		base.Model = v
	}
	p, err := New(base)
	if err != nil {
		return nil, false, err
	}
	return p, true, nil
}
