package storetest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/store"
)

// testLockExcludes runs 20 goroutines that each take one lock and, while
// holding it, read-modify-write a shared counter with a yield in between:
// without mutual exclusion updates are lost or two holders overlap.
func testLockExcludes(t *testing.T, s store.Store) {
	RunLockExclusion(t, []store.Store{s})
}

// RunLockExclusion checks that Lock excludes across every store in stores
// (which must share one database): 30 goroutines spread over the stores
// take the same lock and never overlap.
func RunLockExclusion(t *testing.T, stores []store.Store) {
	t.Helper()
	const n = 30
	var holders, maxHolders atomic.Int32
	counter := 0
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			unlock, err := stores[i%len(stores)].Lock(context.Background(), "vault/row-1")
			if err != nil {
				errs[i] = err
				return
			}
			h := holders.Add(1)
			for {
				m := maxHolders.Load()
				if h <= m || maxHolders.CompareAndSwap(m, h) {
					break
				}
			}
			v := counter
			time.Sleep(time.Millisecond) // let others run while "holding" the value
			counter = v + 1
			holders.Add(-1)
			unlock()
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("locker %d: %v", i, err)
		}
	}
	if m := maxHolders.Load(); m != 1 {
		t.Errorf("at most %d goroutines held the lock at once, want 1", m)
	}
	if counter != n {
		t.Errorf("counter = %d, want %d (no lost update)", counter, n)
	}
}

func testLockNamesAreIndependent(t *testing.T, s store.Store) {
	ctx := context.Background()
	unlockA, err := s.Lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer unlockA()
	// "b" is free while "a" is held: this returns at once (no deadline hit).
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	unlockB, err := s.Lock(ctx2, "b")
	if err != nil {
		t.Fatalf("Lock(b) while a is held: %v", err)
	}
	unlockB()
}

func testLockHonoursContext(t *testing.T, s store.Store) {
	ctx := context.Background()
	unlock, err := s.Lock(ctx, "held")
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		u, err := s.Lock(waitCtx, "held")
		if u != nil {
			u()
		}
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Lock with a canceled context while held: err = %v, want context.Canceled", err)
	}
	unlock()
	unlock() // a second call is a no-op
	// The lock is free again.
	u, err := s.Lock(ctx, "held")
	if err != nil {
		t.Fatalf("Lock after release: %v", err)
	}
	u()
}
