package anthropic

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/onbehalf/onbehalf/model"
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
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("anthropic: the base URL must be an http(s) URL")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	name := "anthropic:" + opts.Model
	if strings.TrimRight(base, "/") != DefaultBaseURL {
		name += "@" + shownURL(u)
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
		retry:    model.Retry{MaxRetries: opts.MaxRetries, Sleep: opts.Sleep, MaxWait: opts.MaxRetryWait},
		now:      now,
	}, nil
}

// shownURL is u without user info, query or fragment, for display.
func shownURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return strings.TrimRight(c.String(), "/")
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
	var resp *model.Response
	err = p.retry.Do(ctx, func(int) error {
		var err error
		resp, err = p.stream(ctx, params, onText)
		return err
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// stream makes one streaming call and gathers the answer.
func (p *Provider) stream(ctx context.Context, params sdk.MessageNewParams, onText func(string)) (*model.Response, error) {
	s := p.messages.NewStreaming(ctx, params)
	defer s.Close()
	acc := newAccumulator(onText)
	for s.Next() {
		if err := acc.add(s.Current()); err != nil {
			return nil, p.broken(acc, nil)
		}
	}
	if err := s.Err(); err != nil {
		return nil, p.mapError(ctx, err, acc)
	}
	if !acc.stopped {
		return nil, p.broken(acc, nil)
	}
	return acc.response()
}
