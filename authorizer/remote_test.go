package authorizer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestNewTouchesNoNetwork(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.down.Store(true)
	mustNew(t, p.Config(clock)) // must succeed while the IdP is down
	if d, j := p.discoveryHits.Load(), p.jwksHits.Load(); d != 0 || j != 0 {
		t.Errorf("New made %d discovery and %d JWKS requests; want none", d, j)
	}
}

func TestUnknownKidRefetchesJWKSAtMostOncePerMinRefreshInterval(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock)) // MinRefreshInterval 1m
	good := sign(t, keyA(), p.UserClaims(clock.Now()), nil)
	if _, err := a.Verify(t.Context(), good); err != nil {
		t.Fatalf("warm-up Verify: %v", err)
	}
	if got := p.jwksHits.Load(); got != 1 {
		t.Fatalf("JWKS requests after warm-up = %d; want 1", got)
	}
	unknown := sign(t, signingKey{"kZ", "RS256", rsaB}, p.UserClaims(clock.Now()), nil)

	// Within MinRefreshInterval of the last fetch: no refetch at all.
	for range 5 {
		if _, err := a.Verify(t.Context(), unknown); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Verify(unknown kid) = %v; want ErrUnknownKey", err)
		}
	}
	if got := p.jwksHits.Load(); got != 1 {
		t.Errorf("JWKS requests within MinRefreshInterval = %d; want 1", got)
	}

	// Past it: exactly one refetch, however many unknown-kid tokens come.
	clock.Advance(61 * time.Second)
	for range 5 {
		if _, err := a.Verify(t.Context(), unknown); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Verify(unknown kid) = %v; want ErrUnknownKey", err)
		}
	}
	if got := p.jwksHits.Load(); got != 2 {
		t.Errorf("JWKS requests after MinRefreshInterval = %d; want 2", got)
	}
	if got := p.discoveryHits.Load(); got != 1 {
		t.Errorf("discovery requests = %d; want 1 (discovery is not refetched)", got)
	}
}

func TestKeyRotationVerifiesNewKidAfterOneRefresh(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	if _, err := a.Verify(t.Context(), sign(t, keyA(), p.UserClaims(clock.Now()), nil)); err != nil {
		t.Fatalf("Verify with kA: %v", err)
	}

	p.Publish(keyB()) // the IdP rotates kA out and kB in
	clock.Advance(2 * time.Minute)
	got, err := a.Verify(t.Context(), sign(t, keyB(), p.UserClaims(clock.Now()), nil))
	if err != nil {
		t.Fatalf("Verify with the rotated-in kB: %v", err)
	}
	if got.Subject != "pairwise-sub-jane" {
		t.Errorf("Subject = %q", got.Subject)
	}
	if n := p.jwksHits.Load(); n != 2 {
		t.Errorf("JWKS requests = %d; want 2 (initial + one refresh)", n)
	}
	// kA is gone from the set now, and the refresh just happened.
	if _, err := a.Verify(t.Context(), sign(t, keyA(), p.UserClaims(clock.Now()), nil)); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify with the rotated-out kA: %v; want ErrUnknownKey", err)
	}
}

func TestConcurrentColdVerifyFetchesDiscoveryAndJWKSOnce(t *testing.T) {
	p, clock := startIdP(t), newClock()
	gate := make(chan struct{})
	p.mu.Lock()
	p.gate = gate // hold discovery until every caller is running
	p.mu.Unlock()
	a := mustNew(t, p.Config(clock))
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)

	const n = 100
	var started, done sync.WaitGroup
	errs := make([]error, n)
	started.Add(n)
	done.Add(n)
	for i := range n {
		go func() {
			defer done.Done()
			started.Done()
			_, errs[i] = a.Verify(context.Background(), tok)
		}()
	}
	started.Wait()
	close(gate)
	done.Wait()

	for i, err := range errs {
		if err != nil {
			t.Fatalf("Verify #%d: %v", i, err)
		}
	}
	if d, j := p.discoveryHits.Load(), p.jwksHits.Load(); d != 1 || j != 1 {
		t.Errorf("discovery %d, JWKS %d requests; want 1, 1", d, j)
	}
}

func TestIdPDownGivesKeySetUnavailableAndRecovers(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.down.Store(true)
	a := mustNew(t, p.Config(clock))
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)

	_, err := a.Verify(t.Context(), tok)
	if !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("Verify while IdP down: %v; want ErrKeySetUnavailable", err)
	}
	if StatusCode(err) != 503 {
		t.Errorf("StatusCode = %d; want 503", StatusCode(err))
	}
	// A failed load is not retried by every request.
	if _, err := a.Verify(t.Context(), tok); !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("second Verify: %v; want ErrKeySetUnavailable", err)
	}
	if got := p.discoveryHits.Load(); got != 1 {
		t.Errorf("discovery requests during backoff = %d; want 1", got)
	}

	p.down.Store(false)
	clock.Advance(maxFailureBackoff + time.Second)
	if _, err := a.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify after the IdP recovered: %v", err)
	}
}

func TestJWKSDownKeepsDiscoveryAndRetries(t *testing.T) {
	p, clock := startIdP(t), newClock()
	p.jwksDown.Store(true)
	a := mustNew(t, p.Config(clock))
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)
	if _, err := a.Verify(t.Context(), tok); !errors.Is(err, ErrKeySetUnavailable) {
		t.Fatalf("Verify while JWKS down: %v; want ErrKeySetUnavailable", err)
	}
	p.jwksDown.Store(false)
	clock.Advance(time.Minute)
	if _, err := a.Verify(t.Context(), tok); err != nil {
		t.Fatalf("Verify after JWKS recovered: %v", err)
	}
	if d, j := p.discoveryHits.Load(), p.jwksHits.Load(); d != 1 || j != 2 {
		t.Errorf("discovery %d, JWKS %d requests; want 1, 2", d, j)
	}
}

func TestFailedRefreshKeepsKnownKeys(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)
	if _, err := a.Verify(t.Context(), tok); err != nil {
		t.Fatalf("warm-up: %v", err)
	}
	p.down.Store(true)
	clock.Advance(2 * time.Minute)
	unknown := sign(t, keyB(), p.UserClaims(clock.Now()), nil)
	if _, err := a.Verify(t.Context(), unknown); !errors.Is(err, ErrKeySetUnavailable) {
		t.Errorf("unknown kid while the IdP is down: %v; want ErrKeySetUnavailable (the kid may exist)", err)
	}
	if _, err := a.Verify(t.Context(), tok); err != nil {
		t.Errorf("known kid while the IdP is down: %v; want accepted from the held keys", err)
	}
}

func TestUnreachableIdPGivesKeySetUnavailable(t *testing.T) {
	p, clock := startIdP(t), newClock()
	cfg := p.Config(clock)
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)
	p.srv.Close() // connection refused from now on
	a := mustNew(t, cfg)
	if _, err := a.Verify(t.Context(), tok); !errors.Is(err, ErrKeySetUnavailable) {
		t.Errorf("Verify with the IdP unreachable: %v; want ErrKeySetUnavailable", err)
	}
}

func TestCancelledCallerGetsKeySetUnavailable(t *testing.T) {
	p, clock := startIdP(t), newClock()
	gate := make(chan struct{})
	p.mu.Lock()
	p.gate = gate
	p.mu.Unlock()
	a := mustNew(t, p.Config(clock))
	tok := sign(t, keyA(), p.UserClaims(clock.Now()), nil)

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := a.Verify(ctx, tok)
	if !errors.Is(err, ErrKeySetUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("Verify with a cancelled ctx: %v; want ErrKeySetUnavailable and context.Canceled", err)
	}
	// The flight it started is not tied to that caller: another caller
	// gets the keys once the IdP answers.
	close(gate)
	if _, err := a.Verify(t.Context(), tok); err != nil {
		t.Errorf("Verify after the first caller gave up: %v", err)
	}
	if d := p.discoveryHits.Load(); d != 1 {
		t.Errorf("discovery requests = %d; want 1", d)
	}
}

func TestBackgroundRefreshFetchesJWKS(t *testing.T) {
	p, clock := startIdP(t), newClock()
	cfg := p.Config(clock)
	cfg.RefreshInterval = 5 * time.Millisecond
	a := mustNew(t, cfg)
	// Bounded wait for the first tick; no duration is asserted.
	for i := 0; i < 1000 && p.jwksHits.Load() == 0; i++ {
		time.Sleep(5 * time.Millisecond)
	}
	if p.jwksHits.Load() == 0 {
		t.Fatal("background refresh never fetched the JWK set")
	}
	a.Close() // returns only once the goroutine and fetches have ended
	if _, err := a.Verify(t.Context(), sign(t, keyA(), p.UserClaims(clock.Now()), nil)); err != nil {
		t.Errorf("Verify with keys loaded in the background, after Close: %v", err)
	}
}

func TestVerifyOnClosedColdAuthorizer(t *testing.T) {
	p, clock := startIdP(t), newClock()
	a := mustNew(t, p.Config(clock))
	a.Close()
	_, err := a.Verify(t.Context(), sign(t, keyA(), p.UserClaims(clock.Now()), nil))
	if !errors.Is(err, ErrKeySetUnavailable) {
		t.Errorf("Verify after Close with no keys: %v; want ErrKeySetUnavailable", err)
	}
	if d := p.discoveryHits.Load(); d != 0 {
		t.Errorf("discovery requests after Close = %d; want 0", d)
	}
}
