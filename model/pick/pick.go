package pick

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/anthropic"
	"github.com/onbehalf/onbehalf/model/bedrock"
	"github.com/onbehalf/onbehalf/model/offline"
	"github.com/onbehalf/onbehalf/model/openai"
)

// Providers.
const (
	Auto      = "auto"
	Offline   = "offline"
	Anthropic = "anthropic"
	OpenAI    = "openai"
	Bedrock   = "bedrock"
)

// EnvModel names a provider explicitly, overriding auto-detection.
const EnvModel = "ONBEHALF_MODEL"

// Spec is what the configuration says about the model.
type Spec struct {
	// Provider is auto (or empty), offline, anthropic, openai or bedrock.
	Provider string
	// ID is the model id; the provider's default when empty. The
	// provider's own environment variable (ONBEHALF_ANTHROPIC_MODEL, …)
	// overrides it.
	ID string
	// BaseURL overrides the provider's endpoint (OpenAI-compatible servers).
	BaseURL string
	// Region is Bedrock's AWS region (AWS_REGION when empty).
	Region string
}

// Choose returns the provider for spec and a sentence saying why it was
// chosen. With Provider auto: $ONBEHALF_MODEL if set; else Anthropic when
// ANTHROPIC_API_KEY is set; else an OpenAI-compatible server when
// OPENAI_BASE_URL or OPENAI_API_KEY is set; else the offline planner.
// Bedrock is never guessed from AWS variables alone (they are often set
// for other reasons, such as the broker's own dev keys): name it in the
// configuration or with ONBEHALF_MODEL=bedrock.
func Choose(ctx context.Context, spec Spec, lookup func(string) (string, bool), hc *http.Client) (model.Provider, string, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	name := spec.Provider
	why := "configured"
	if name == "" || name == Auto {
		name, why = detect(lookup)
	}
	switch name {
	case Offline:
		return offline.New(), why, nil
	case Anthropic:
		p, ok, err := anthropic.FromEnv(ctx, lookup, anthropic.Options{Model: spec.ID, BaseURL: spec.BaseURL, HTTPClient: hc})
		return result(p, ok, err, name, why, "ANTHROPIC_API_KEY")
	case OpenAI:
		p, ok, err := openai.FromEnv(ctx, lookup, openai.Options{Model: spec.ID, BaseURL: spec.BaseURL, HTTPClient: hc})
		if !ok && err == nil && spec.BaseURL != "" {
			np, nerr := openai.New(openai.Options{Model: spec.ID, BaseURL: spec.BaseURL, HTTPClient: hc})
			return result(np, nerr == nil, nerr, name, why, "OPENAI_BASE_URL")
		}
		return result(p, ok, err, name, why, "OPENAI_BASE_URL or OPENAI_API_KEY")
	case Bedrock:
		p, ok, err := bedrock.FromEnv(ctx, lookup, bedrock.Options{ModelID: spec.ID, Region: spec.Region, BaseURL: spec.BaseURL, HTTPClient: hc})
		return result(p, ok, err, name, why, "AWS_REGION and AWS credentials")
	}
	return nil, "", fmt.Errorf("model provider %q is not one of offline, anthropic, openai, bedrock", name)
}

func detect(lookup func(string) (string, bool)) (string, string) {
	if v, ok := lookup(EnvModel); ok && v != "" && v != Auto {
		return v, EnvModel + " names it"
	}
	if v, _ := lookup("ANTHROPIC_API_KEY"); v != "" {
		return Anthropic, "ANTHROPIC_API_KEY is set"
	}
	base, _ := lookup("OPENAI_BASE_URL")
	key, _ := lookup("OPENAI_API_KEY")
	if base != "" || key != "" {
		return OpenAI, "an OpenAI-compatible endpoint is configured"
	}
	return Offline, "no model credentials found: set ANTHROPIC_API_KEY, OPENAI_BASE_URL or ONBEHALF_MODEL=bedrock to use a real model"
}

func result[P model.Provider](p P, ok bool, err error, name, why, needs string) (model.Provider, string, error) {
	if err != nil {
		return nil, "", fmt.Errorf("model provider %s: %w", name, err)
	}
	if !ok {
		return nil, "", fmt.Errorf("model provider %s is selected but not configured: set %s", name, needs)
	}
	return p, why, nil
}
