package bedrock

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"

	"github.com/onbehalf/onbehalf/model"
	"github.com/onbehalf/onbehalf/model/internal/provider"
)

// DefaultModelID is Claude Sonnet 4 through the US cross-region inference
// profile, the model of the article.
const DefaultModelID = "us.anthropic.claude-sonnet-4-20250514-v1:0"

// Options configure a Provider.
type Options struct {
	// ModelID is a model id, inference profile id or ARN (DefaultModelID
	// when empty).
	ModelID string
	// Region is the AWS region, e.g. "us-east-1". Required.
	Region string
	// BaseURL overrides the endpoint (a VPC endpoint, a proxy, a test
	// server); the regional endpoint when empty.
	BaseURL string
	// Credentials are static keys; nil means the standard AWS credential
	// chain (with Profile, when set).
	Credentials *Credentials
	// Profile names the shared config profile the chain reads (AWS_PROFILE
	// when empty).
	Profile string
	// HTTPClient makes the calls (the SDK's client when nil). Give it no
	// overall Timeout: answers stream; bound calls with the context.
	HTTPClient *http.Client
	// MaxRetries bounds retries after the first attempt
	// (model.DefaultMaxRetries when 0, none when negative).
	MaxRetries int
	// Sleep waits between attempts (a timer when nil); tests inject one.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxRetryWait is the longest Retry-After honoured
	// (model.DefaultMaxWait when 0).
	MaxRetryWait time.Duration
	// Now is the clock, for Retry-After dates (time.Now when nil).
	Now func() time.Time
}

// Credentials are static AWS keys. They print as the access key id only.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String shows the access key id, never the secret or the session token.
func (c Credentials) String() string {
	return "bedrock.Credentials{AccessKeyID: " + c.AccessKeyID + ", secret redacted}"
}

// GoString is String, so %#v shows no secret either.
func (c Credentials) GoString() string { return c.String() }

// Format is String for every verb, so %v and %+v show no secret.
func (c Credentials) Format(f fmt.State, _ rune) { fmt.Fprint(f, c.String()) }

// Provider is the Bedrock model.Provider. It is safe for concurrent use.
type Provider struct {
	name    string
	modelID string
	client  *bedrockruntime.Client
	secrets []string // removed from any message shown
	retry   model.Retry
	now     func() time.Time
}

var _ model.Provider = (*Provider)(nil)

// New returns a Provider for opts. With nil Credentials it loads the
// shared AWS configuration (files and environment, no network).
func New(opts Options) (*Provider, error) {
	if opts.Region == "" {
		return nil, errors.New("bedrock: a region is required")
	}
	if opts.ModelID == "" {
		opts.ModelID = DefaultModelID
	}
	var shown string
	if opts.BaseURL != "" {
		u, err := provider.BaseURL("bedrock", opts.BaseURL)
		if err != nil {
			return nil, err
		}
		shown = provider.ShownURL(u)
	}
	cfg, secrets, err := awsConfig(opts)
	if err != nil {
		return nil, err
	}
	client := bedrockruntime.NewFromConfig(cfg, func(o *bedrockruntime.Options) {
		o.Retryer = aws.NopRetryer{} // model.Retry retries, with an injectable Sleep
		if opts.BaseURL != "" {
			o.BaseEndpoint = aws.String(opts.BaseURL)
		}
		if opts.HTTPClient != nil {
			o.HTTPClient = opts.HTTPClient
		}
	})
	name := "bedrock:" + opts.ModelID
	if shown != "" {
		name += "@" + shown
	}
	return &Provider{
		name:    name,
		modelID: opts.ModelID,
		client:  client,
		secrets: secrets,
		retry:   provider.Retry(opts.MaxRetries, opts.Sleep, opts.MaxRetryWait),
		now:     provider.Clock(opts.Now),
	}, nil
}

// awsConfig is the SDK configuration for opts, and the secrets to keep out
// of messages.
func awsConfig(opts Options) (aws.Config, []string, error) {
	if c := opts.Credentials; c != nil {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return aws.Config{}, nil, errors.New("bedrock: static credentials need an access key id and a secret access key")
		}
		cfg := aws.Config{
			Region:      opts.Region,
			Credentials: aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)),
		}
		return cfg, nonEmpty(c.SecretAccessKey, c.SessionToken), nil
	}
	loadOpts := []func(*config.LoadOptions) error{config.WithRegion(opts.Region)}
	if opts.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(opts.Profile))
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), loadOpts...)
	if err != nil {
		return aws.Config{}, nil, fmt.Errorf("bedrock: loading the AWS configuration: %w", err)
	}
	return cfg, nil, nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Name implements model.Provider: "bedrock:<model id>", plus "@<endpoint>"
// when BaseURL is set.
func (p *Provider) Name() string { return p.name }

// Converse implements model.Provider: ConverseStream when onText is not
// nil (text deltas reach it as they arrive), Converse otherwise.
func (p *Provider) Converse(ctx context.Context, req model.Request, onText func(string)) (*model.Response, error) {
	in, err := p.input(req)
	if err != nil {
		return nil, err
	}
	return provider.Converse(ctx, p.retry, func() (*model.Response, error) {
		if onText != nil {
			return p.converseStream(ctx, in, onText)
		}
		return p.converse(ctx, in)
	})
}
