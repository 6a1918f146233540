package authorizer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// remoteKeySet follows an OIDC discovery document: it learns the issuer and
// jwks_uri from it and keeps the JWK set fresh. Nothing is fetched until
// the first Verify (or the first background tick), so the authorizer starts
// while the IdP is down.
//
// Every fetch is a "flight": discovery (until it has succeeded once) then
// the JWK set. At most one flight runs at a time and every caller that
// needs one joins the flight in progress, so a cold authorizer under load
// makes one discovery request and one JWKS request. Whether to start a
// flight is decided under the same mutex that guards the state, so callers
// that arrive just after a flight ends see its result instead of starting
// another.
//
// Flights run on the key set's own context (cancelled by close), never a
// caller's: one caller giving up must not fail the others waiting on it.
type remoteKeySet struct {
	discoveryURL string
	allowHTTP    bool
	client       *http.Client
	now          func() time.Time
	minRefresh   time.Duration // between unknown-kid refreshes
	failBackoff  time.Duration // after a failed load, before Verify retries
	log          *slog.Logger

	ctx    context.Context // lifetime of flights; cancelled by close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu          sync.Mutex
	closed      bool
	issuer      string // from discovery; "" until it succeeded
	jwksURI     string
	keys        StaticKeySet // nil until the first JWKS fetch succeeded
	lastAttempt time.Time    // start of the latest flight (s.now clock)
	lastErr     error        // error of the latest flight, nil if it succeeded
	inflight    *flight
}

type flight struct {
	done chan struct{}
	err  error // set before done is closed
}

func newRemoteKeySet(s settings) *remoteKeySet {
	ctx, cancel := context.WithCancel(context.Background())
	return &remoteKeySet{
		discoveryURL: s.DiscoveryURL,
		allowHTTP:    s.InsecureAllowHTTP,
		client:       s.HTTPClient,
		now:          s.Now,
		minRefresh:   s.MinRefreshInterval,
		failBackoff:  min(s.MinRefreshInterval, maxFailureBackoff),
		log:          s.Logger,
		ctx:          ctx,
		cancel:       cancel,
	}
}

// Issuer returns the discovery document's issuer, loading it if needed.
func (r *remoteKeySet) Issuer(ctx context.Context) (string, error) {
	if err := r.ensureLoaded(ctx); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.issuer, nil
}

// Key implements KeySet. An unknown kid triggers one refetch of the JWK set
// unless the last fetch started less than MinRefreshInterval ago.
func (r *remoteKeySet) Key(ctx context.Context, kid string) (PublicKey, error) {
	if err := r.ensureLoaded(ctx); err != nil {
		return PublicKey{}, err
	}
	r.mu.Lock()
	k, err := r.keys.Key(ctx, kid)
	if err == nil {
		r.mu.Unlock()
		return k, nil
	}
	if r.inflight == nil && r.now().Sub(r.lastAttempt) < r.minRefresh {
		r.mu.Unlock()
		return PublicKey{}, fmt.Errorf("%w (%w)", err, errRefreshRateLimited)
	}
	f := r.flightLocked()
	r.mu.Unlock()

	if err := r.wait(ctx, f); err != nil {
		return PublicKey{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys.Key(ctx, kid)
}

// ensureLoaded returns once discovery and a JWK set have been loaded, or
// with ErrKeySetUnavailable. A failed load is remembered for failBackoff so
// that an IdP outage is not hammered by every request.
func (r *remoteKeySet) ensureLoaded(ctx context.Context) error {
	r.mu.Lock()
	if r.keys != nil && r.issuer != "" {
		r.mu.Unlock()
		return nil
	}
	if r.inflight == nil && r.lastErr != nil && r.now().Sub(r.lastAttempt) < r.failBackoff {
		err := r.lastErr
		r.mu.Unlock()
		return fmt.Errorf("%w: %w", ErrKeySetUnavailable, err)
	}
	f := r.flightLocked()
	r.mu.Unlock()
	return r.wait(ctx, f)
}

// refresh starts (or joins) a flight and waits for it; the background
// goroutine calls it.
func (r *remoteKeySet) refresh(ctx context.Context) error {
	r.mu.Lock()
	f := r.flightLocked()
	r.mu.Unlock()
	return r.wait(ctx, f)
}

func (r *remoteKeySet) wait(ctx context.Context, f *flight) error {
	select {
	case <-f.done:
		if f.err != nil {
			return fmt.Errorf("%w: %w", ErrKeySetUnavailable, f.err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrKeySetUnavailable, ctx.Err())
	}
}

// flightLocked returns the flight in progress or starts one. r.mu is held.
func (r *remoteKeySet) flightLocked() *flight {
	if r.inflight != nil {
		return r.inflight
	}
	f := &flight{done: make(chan struct{})}
	if r.closed {
		f.err = errClosed
		close(f.done)
		return f
	}
	r.inflight = f
	r.lastAttempt = r.now()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		err := r.fetch()
		r.mu.Lock()
		r.lastErr = err
		r.inflight = nil
		f.err = err
		r.mu.Unlock()
		close(f.done)
	}()
	return f
}

// fetch loads discovery (once) and the JWK set, storing each as soon as it
// succeeds. A failed JWKS refetch keeps the keys already held.
func (r *remoteKeySet) fetch() error {
	ctx, cancel := context.WithTimeout(r.ctx, defaultHTTPTimeout)
	defer cancel()

	r.mu.Lock()
	jwksURI := r.jwksURI
	r.mu.Unlock()
	if jwksURI == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := getJSON(ctx, r.client, r.discoveryURL, &doc); err != nil {
			r.log.Warn("authorizer: discovery failed", "url", r.discoveryURL, "err", err)
			return fmt.Errorf("discovery: %w", err)
		}
		if doc.Issuer == "" {
			return fmt.Errorf("discovery %s: no issuer", r.discoveryURL)
		}
		if err := checkFetchURL(doc.JWKSURI, r.allowHTTP); err != nil {
			return fmt.Errorf("discovery %s: jwks_uri: %w", r.discoveryURL, err)
		}
		r.mu.Lock()
		r.issuer, r.jwksURI = doc.Issuer, doc.JWKSURI
		r.mu.Unlock()
		jwksURI = doc.JWKSURI
		r.log.Debug("authorizer: discovery loaded", "url", r.discoveryURL, "issuer", doc.Issuer, "jwks_uri", jwksURI)
	}

	var body json.RawMessage
	if err := getJSON(ctx, r.client, jwksURI, &body); err != nil {
		r.log.Warn("authorizer: JWKS fetch failed", "url", jwksURI, "err", err)
		return fmt.Errorf("jwks: %w", err)
	}
	keys, skipped, err := parseJWKS(body)
	for _, why := range skipped {
		r.log.Debug("authorizer: JWK skipped", "url", jwksURI, "reason", why)
	}
	if err != nil {
		r.log.Warn("authorizer: JWKS unusable", "url", jwksURI, "err", err)
		return fmt.Errorf("jwks %s: %w", jwksURI, err)
	}
	r.mu.Lock()
	r.keys = keys
	r.mu.Unlock()
	r.log.Debug("authorizer: JWKS loaded", "url", jwksURI, "keys", len(keys))
	return nil
}

// run refreshes the JWK set every interval until ctx is done or the key
// set is closed.
func (r *remoteKeySet) run(ctx context.Context, every time.Duration) {
	defer r.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.ctx.Done():
			return
		case <-t.C:
			_ = r.refresh(ctx) // failures are logged by fetch
		}
	}
}

func (r *remoteKeySet) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// getJSON GETs url and decodes a JSON body of at most 1 MiB. Errors name
// the URL and status, never the body.
func getJSON(ctx context.Context, client *http.Client, rawURL string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // *url.Error would repeat the method and URL
		}
		return fmt.Errorf("GET %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocumentBytes))
		return fmt.Errorf("GET %s: status %d", rawURL, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", rawURL, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("GET %s: body exceeds %d bytes", rawURL, maxDocumentBytes)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: body is not the expected JSON", rawURL)
	}
	return nil
}
