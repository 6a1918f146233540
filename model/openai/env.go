package openai

import (
	"context"

	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// Environment variables FromEnv reads.
const (
	EnvBaseURL = "OPENAI_BASE_URL"
	EnvAPIKey  = "OPENAI_API_KEY"
	EnvModel   = "ONBEHALF_OPENAI_MODEL"
)

// FromEnv returns a Provider configured from the environment:
// OPENAI_BASE_URL and/or OPENAI_API_KEY (with neither, ok is false: no
// OpenAI-compatible server is configured), ONBEHALF_OPENAI_MODEL; they
// override base's fields, and base supplies the rest (HTTPClient,
// retries). With only OPENAI_BASE_URL (Ollama, vLLM, LM Studio) no key is
// sent. lookup reads a variable (os.LookupEnv when nil). An error means
// the variables are set but unusable. ctx is unused; it keeps FromEnv
// alike across providers.
func FromEnv(_ context.Context, lookup func(string) (string, bool), base Options) (*Provider, bool, error) {
	get := provider.Getenv(lookup)
	baseURL, key := get(EnvBaseURL), get(EnvAPIKey)
	if baseURL == "" && key == "" {
		return nil, false, nil
	}
	if baseURL != "" {
		base.BaseURL = baseURL
	}
	if key != "" {
		base.APIKey = key
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
