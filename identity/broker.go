package identity

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/onbehalf/onbehalf/oauth"
	"github.com/onbehalf/onbehalf/store"
)

// Broker is the identity broker. It is safe for concurrent use. Its
// credential providers and workload identities live in the store, so
// several Brokers on one store (replicas) act as one.
type Broker struct {
	cfg   Config
	oauth *oauth.Client
	log   *slog.Logger
	// flight makes concurrent cold callers for one vault row in this
	// process share one IdP request; the store's Lock does it across
	// replicas.
	flight  singleflight.Group
	started time.Time

	// Names defined in Config: the API may not change them.
	configProviders, configAPIKeys, configWorkloads map[string]bool

	audit *auditor

	sweepMu   sync.Mutex
	lastSweep time.Time

	providerCache ttlCache[*provider]
	workloadCache ttlCache[*workload]
	apiKeyCache   ttlCache[string]
	// vaultCache keeps opened, fresh vault rows for VaultCacheTTL.
	vaultCache ttlCache[*cachedToken]
	// watCache keeps opened workload access tokens (wat.go).
	watCache ttlCache[watClaims]
	// metrics is nil without Config.Metrics.
	metrics *metrics
}

// setupTimeout bounds New's store writes.
const setupTimeout = 30 * time.Second

// New validates cfg (reporting every problem at once; the error wraps
// ErrInvalidConfig), applies the defaults, upserts the configured
// providers and workloads into the store and returns a Broker.
func New(cfg Config) (*Broker, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RefreshBefore == 0 {
		cfg.RefreshBefore = DefaultRefreshBefore
	}
	if cfg.WorkloadTokenTTL == 0 {
		cfg.WorkloadTokenTTL = DefaultWorkloadTokenTTL
	}
	if cfg.ResourceCacheTTL == 0 {
		cfg.ResourceCacheTTL = DefaultResourceCacheTTL
	}
	if cfg.VaultCacheTTL == 0 {
		cfg.VaultCacheTTL = DefaultVaultCacheTTL
	}
	if cfg.AuthorizationSessionTTL == 0 {
		cfg.AuthorizationSessionTTL = DefaultAuthorizationSessionTTL
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.AccountID == "" {
		cfg.AccountID = DefaultAccountID
	}
	cfg.CallbackBaseURL = strings.TrimSuffix(cfg.CallbackBaseURL, "/")
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	oc := cfg.OAuth
	if oc == nil {
		oc = &oauth.Client{Now: cfg.Now}
	}
	b := &Broker{cfg: cfg, oauth: oc, log: cfg.Logger, started: cfg.Now(), audit: &auditor{st: cfg.Store, direct: store.SpoolsAudits(cfg.Store)}, watCache: ttlCache[watClaims]{max: watCacheEntries},
		configProviders: map[string]bool{}, configAPIKeys: map[string]bool{}, configWorkloads: map[string]bool{}}
	var err error
	if b.metrics, err = newMetrics(cfg.Metrics); err != nil {
		return nil, fmt.Errorf("identity: metrics: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := b.applyConfig(ctx); err != nil {
		return nil, err
	}
	return b, nil
}

// applyConfig upserts the configured records, keeping each record's
// creation time, secret ARN and instance.
func (b *Broker) applyConfig(ctx context.Context) error {
	var errs []error
	for _, p := range b.cfg.Providers {
		in := p.input()
		b.configProviders[p.Name] = true
		err := upsert(func() error {
			_, err := b.updateOauth2(ctx, UpdateOauth2CredentialProviderInput{Name: in.Name, CredentialProviderVendor: in.CredentialProviderVendor, Oauth2ProviderConfigInput: in.Oauth2ProviderConfigInput}, sourceConfig)
			return err
		}, func() error {
			_, err := b.createOauth2(ctx, in, sourceConfig)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("provider %s: %w", p.Name, err))
		}
	}
	for _, p := range b.cfg.APIKeyProviders {
		b.configAPIKeys[p.Name] = true
		err := upsert(func() error {
			_, err := b.updateAPIKey(ctx, UpdateApiKeyCredentialProviderInput{Name: p.Name, APIKey: p.APIKey}, sourceConfig)
			return err
		}, func() error {
			_, err := b.createAPIKey(ctx, CreateApiKeyCredentialProviderInput{Name: p.Name, APIKey: p.APIKey}, sourceConfig)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("API key provider %s: %w", p.Name, err))
		}
	}
	for _, w := range b.cfg.Workloads {
		b.configWorkloads[w.Name] = true
		allowed := w.AllowedProviders
		if allowed == nil {
			allowed = []string{}
		}
		err := upsert(func() error {
			_, err := b.updateWorkload(ctx, UpdateWorkloadIdentityInput{Name: w.Name, AllowedResourceOauth2ReturnUrls: w.AllowedResourceOauth2ReturnURLs, AllowedCredentialProviders: &allowed}, sourceConfig)
			return err
		}, func() error {
			_, err := b.createWorkload(ctx, CreateWorkloadIdentityInput{Name: w.Name, AllowedResourceOauth2ReturnUrls: w.AllowedResourceOauth2ReturnURLs, AllowedCredentialProviders: w.AllowedProviders}, sourceConfig)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("workload %s: %w", w.Name, err))
		}
	}
	now := b.now()
	if err := b.cfg.Store.CreateResource(ctx, store.Resource{Kind: kindTokenVault, Name: "default", Data: []byte(`{}`), CreatedAt: now, UpdatedAt: now}); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
		errs = append(errs, fmt.Errorf("token vault: %w", err))
	}
	if len(errs) > 0 {
		return fmt.Errorf("identity: storing the configured records: %w", errors.Join(errs...))
	}
	return nil
}

// upsert updates, or creates when missing; a create that loses a race to
// another replica updates instead.
func upsert(update, create func() error) error {
	err := update()
	if ErrorType(err) != ResourceNotFoundException {
		return err
	}
	err = create()
	if ErrorType(err) == ConflictException {
		return update()
	}
	return err
}

func (b *Broker) now() time.Time { return b.cfg.Now() }

// shortHash is the first 12 hex digits of sha256(s), for correlating logs
// without logging s.
func shortHash(s string) string {
	h := sha256.New()
	io.WriteString(h, s) // no copy of s (a token of a few KiB)
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:6])
}
