package anthropic

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// Defaults.
const (
	DefaultModel   = "claude-sonnet-4-20250514"
	DefaultBaseURL = "https://api.anthropic.com"
)

// Options configure a Provider.
type Options struct {
	// APIKey is sent in the x-api-key header. Required.
	APIKey string
	// Model is the model id (DefaultModel when empty).
	Model string
	// BaseURL is the API root without /v1 (DefaultBaseURL when empty):
	// a proxy, a gateway, or a test server.
	BaseURL string
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

// Provider is the Anthropic model.Provider. It is safe for concurrent use.
type Provider struct {
	name     string
	model    string
	apiKey   string
	messages sdk.MessageService
	retry    model.Retry
	now      func() time.Time
}

var _ model.Provider = (*Provider)(nil)

// New returns a Provider for opts.
func New(opts Options) (*Provider, error) {
	if opts.APIKey == "" {
		return nil, errors.New("anthropic: an API key is required")
	}
	if opts.Model == "" {
		opts.Model = DefaultModel
	}
	base := opts.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := provider.BaseURL("anthropic", base)
	if err != nil {
		return nil, err
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	name := "anthropic:" + opts.Model
	if strings.TrimRight(base, "/") != DefaultBaseURL {
		name += "@" + provider.ShownURL(u)
	}
	reqOpts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(base),
		// The documented x-api-key header, which every Anthropic-compatible
		// gateway accepts, instead of the SDK's Authorization: Bearer.
		option.WithHeader("X-Api-Key", opts.APIKey),
		option.WithHeaderDel("Authorization"),
		option.WithHTTPClient(hc),
		option.WithMaxRetries(0), // model.Retry retries, with an injectable Sleep
	}
	return &Provider{
		name:     name,
		model:    opts.Model,
		apiKey:   opts.APIKey,
		messages: sdk.NewMessageService(reqOpts...),
		retry:    provider.Retry(opts.MaxRetries, opts.Sleep, opts.MaxRetryWait),
		now:      provider.Clock(opts.Now),
	}, nil
}

// Name implements model.Provider: "anthropic:<model>", plus "@<base URL>"
// when the base URL is not Anthropic's.
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
func (p *Provider) stream(ctx context.Context, params sdk.MessageNewParams, onText func(string)) (*model.Response, error) {
	acc := newAccumulator(onText)
	return provider.Drain("anthropic", p.messages.NewStreaming(ctx, params), acc, func(err error) error {
		return p.mapError(ctx, err, acc)
	})
}
