package openai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// Defaults.
const (
	DefaultModel   = "gpt-4o-mini"
	DefaultBaseURL = "https://api.openai.com/v1"
)

// Names of the request field that bounds the answer's length.
const (
	MaxTokensField           = "max_tokens"            // most compatible servers
	MaxCompletionTokensField = "max_completion_tokens" // OpenAI's current models
)

// Options configure a Provider.
type Options struct {
	// Model is the model id (DefaultModel when empty), e.g. "llama3.1" on
	// Ollama.
	Model string
	// BaseURL is the API root including /v1 (DefaultBaseURL when empty),
	// e.g. "http://127.0.0.1:11434/v1" for Ollama.
	BaseURL string
	// APIKey is sent as a bearer token; local servers need none.
	APIKey string
	// LengthField names the request field that bounds the answer:
	// MaxCompletionTokensField for api.openai.com, MaxTokensField for any
	// other server, when empty.
	LengthField string
	// HTTPClient makes the calls (http.DefaultClient when nil). Give it no
	// overall Timeout: answers stream; bound calls with the context.
	HTTPClient *http.Client
	// MaxRetries bounds retries after the first attempt
	// (model.DefaultMaxRetries when 0, none when negative).
	MaxRetries int
	// Sleep waits between attempts (a timer when nil); tests inject one.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetryWait is the longest retry-after honoured
	// (model.DefaultMaxWait when 0).
	MaxRetryWait time.Duration
	// Now is the clock, for retry-after dates (time.Now when nil).
	Now func() time.Time
}

// Provider is the OpenAI-compatible model.Provider. It is safe for
// concurrent use.
type Provider struct {
	name        string
	model       string
	apiKey      string
	lengthField string
	chat        sdk.ChatCompletionService
	retry       model.Retry
	now         func() time.Time
}

var _ model.Provider = (*Provider)(nil)

// New returns a Provider for opts.
func New(opts Options) (*Provider, error) {
	if opts.Model == "" {
		opts.Model = DefaultModel
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := provider.BaseURL("openai", base)
	if err != nil {
		return nil, err
	}
	lengthField := opts.LengthField
	switch {
	case lengthField == "" && u.Host == "api.openai.com":
		lengthField = MaxCompletionTokensField
	case lengthField == "":
		lengthField = MaxTokensField
	case lengthField != MaxTokensField && lengthField != MaxCompletionTokensField:
		return nil, errors.New("openai: LengthField must be max_tokens or max_completion_tokens")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	name := "openai:" + opts.Model
	if base != DefaultBaseURL {
		name += "@" + provider.ShownURL(u)
	}
	// The service alone, not sdk.NewClient: the client would read
	// OPENAI_API_KEY, OPENAI_ORG_ID… from the environment and could send
	// an OpenAI key to a local server configured without one.
	chat := sdk.NewChatCompletionService(
		option.WithBaseURL(base+"/"),
		option.WithAPIKey(opts.APIKey),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0), // model.Retry retries, with an injectable Sleep
	)
	return &Provider{
		name:        name,
		model:       opts.Model,
		apiKey:      opts.APIKey,
		lengthField: lengthField,
		chat:        chat,
		retry:       provider.Retry(opts.MaxRetries, opts.Sleep, opts.MaxRetryWait),
		now:         provider.Clock(opts.Now),
	}, nil
}

// Name implements model.Provider: "openai:<model>", plus "@<base URL>"
// when the server is not OpenAI's, e.g.
// "openai:llama3.1@http://127.0.0.1:11434/v1".
func (p *Provider) Name() string { return p.name }

// Converse implements model.Provider. It streams the answer, passing text
// deltas to onText (when not nil) as they arrive.
func (p *Provider) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	params, err := p.params(req)
	if err != nil {
		return nil, err
	}
	return provider.Converse(ctx, p.retry, func() (*model.Response, error) {
		return p.stream(ctx, params, onText)
	})
}

// stream makes one streaming call and gathers the answer.
func (p *Provider) stream(ctx context.Context, params sdk.ChatCompletionNewParams, onText func(string)) (*model.Response, error) {
	acc := newAccumulator(onText)
	return provider.Drain("openai", p.chat.NewStreaming(ctx, params), acc, func(err error) error {
		return p.mapError(ctx, err, acc)
	})
}
