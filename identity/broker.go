package identity

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/onbehalf/onbehalf/oauth"
)

// Broker is the identity broker. It is safe for concurrent use.
type Broker struct {
	cfg       Config
	providers map[string]*provider
	workloads map[string]WorkloadIdentity
	oauth     *oauth.Client
	log       *slog.Logger
	// flight makes concurrent cold callers for one vault row share one IdP
	// request (within this process; across replicas comes with the store's
	// locks).
	flight singleflight.Group
}

// New validates cfg, reporting every problem at once (the error wraps
// ErrInvalidConfig), applies the defaults and returns a Broker.
func New(cfg Config) (*Broker, error) {
	providers, workloads, err := cfg.validate()
	if err != nil {
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	oc := cfg.OAuth
	if oc == nil {
		oc = &oauth.Client{Now: cfg.Now}
	}
	return &Broker{cfg: cfg, providers: providers, workloads: workloads, oauth: oc, log: cfg.Logger}, nil
}

func (b *Broker) now() time.Time { return b.cfg.Now() }

// shortHash is the first 12 hex digits of sha256(s), for correlating logs
// without logging s.
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:6])
}
