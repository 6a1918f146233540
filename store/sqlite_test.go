package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/store/storetest"
)

func mustOpen(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func TestOpenSQLiteDSNForms(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cases := []struct{ dsn, file string }{
		{"sqlite:relative.db", filepath.Join(dir, "relative.db")},
		{"sqlite:" + filepath.Join(dir, "abs.db"), filepath.Join(dir, "abs.db")},
		{"sqlite://" + filepath.Join(dir, "url-style.db"), filepath.Join(dir, "url-style.db")},
		{"sqlite:" + filepath.Join(dir, "odd ?name#%20.db"), filepath.Join(dir, "odd ?name#%20.db")},
		{"SQLite:" + filepath.Join(dir, "upper.db"), filepath.Join(dir, "upper.db")},
	}
	for _, c := range cases {
		s := mustOpen(t, c.dsn)
		if err := s.PutVault(context.Background(), store.VaultEntry{Key: "k", Ciphertext: []byte("c"), ExpiresAt: t0}); err != nil {
			t.Errorf("%s: PutVault: %v", c.dsn, err)
		}
		if _, err := os.Stat(c.file); err != nil {
			t.Errorf("%s: want database file %s: %v", c.dsn, c.file, err)
		}
	}
}

func TestSQLiteMemoryStoresArePrivate(t *testing.T) {
	ctx := context.Background()
	a, b := mustOpen(t, "sqlite::memory:"), mustOpen(t, "sqlite::memory:")
	if err := a.PutVault(ctx, store.VaultEntry{Key: "k", Ciphertext: []byte("c"), ExpiresAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetVault(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second memory store sees the first's row: err = %v, want ErrNotFound", err)
	}
	if e, err := a.GetVault(ctx, "k"); err != nil || string(e.Ciphertext) != "c" {
		t.Errorf("first memory store: GetVault = %q, %v", e.Ciphertext, err)
	}
}

func TestSQLiteReopenKeepsDataAndMigrationsApplyOnce(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "onbehalf.db")
	s, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, store.Session{ID: "s1", Issuer: "iss", Subject: "sub", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s2 := mustOpen(t, dsn)
	got, err := s2.GetSession(ctx, "s1")
	if err != nil || got.Subject != "sub" || !got.LastSeenAt.Equal(t0) {
		t.Errorf("after reopen GetSession = %+v, %v; want subject sub, LastSeenAt defaulted to CreatedAt", got, err)
	}
}

// TestSQLiteTwoStoresOnOneFileWriteConcurrently stands in for two processes
// sharing one database file: each has its own writer connection, so they
// contend for SQLite's lock and rely on the busy timeout, not SQLITE_BUSY.
func TestSQLiteTwoStoresOnOneFileWriteConcurrently(t *testing.T) {
	ctx := context.Background()
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "onbehalf.db")
	stores := []store.Store{mustOpen(t, dsn), mustOpen(t, dsn)}
	if err := stores[0].CreateSession(ctx, store.Session{ID: "shared", Messages: []byte("0"), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := stores[i%2]
			if _, err := s.AppendAudit(ctx, store.AuditEvent{Time: t0, Action: "w", Detail: fmt.Sprint(i)}); err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.UpdateSession(ctx, "shared", func(old store.Session) (store.Session, error) {
				var v int
				fmt.Sscan(string(old.Messages), &v)
				old.Messages = []byte(fmt.Sprint(v + 1))
				return old, nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	evs, err := stores[1].ListAudit(ctx, store.AuditFilter{Action: "w", Limit: 1000})
	if err != nil || len(evs) != n {
		t.Errorf("ListAudit: %d events, %v; want %d", len(evs), err, n)
	}
	sess, err := stores[0].GetSession(ctx, "shared")
	if err != nil || string(sess.Messages) != fmt.Sprint(n) {
		t.Errorf("counter = %q, %v; want %d (every CAS update applied once)", sess.Messages, err, n)
	}
}

func TestOpenRejectsInvalidDSNWithoutEchoingIt(t *testing.T) {
	for _, dsn := range []string{
		"",
		"no-scheme-hunter2",
		"mysql://user:hunter2@db/onbehalf",
		"user:hunter2@db/onbehalf",
		"sqlite:",
		"postgres:user:hunter2@db",
	} {
		_, err := store.Open(context.Background(), dsn)
		if !errors.Is(err, store.ErrInvalidDSN) {
			t.Errorf("Open(%q): err = %v, want ErrInvalidDSN", dsn, err)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q): error %q repeats the password", dsn, err)
		}
	}
}

func TestOpenPostgresFailureHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		// Nothing listens on port 1, so the connection is refused at once.
		"postgres://onbehalf:hunter2@127.0.0.1:1/onbehalf?sslmode=disable&connect_timeout=5",
		// Rejected while parsing, before any connection.
		"postgresql://onbehalf:hunter2@127.0.0.1:1/onbehalf?sslmode=bogus",
	} {
		_, err := store.Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("Open succeeded for a DSN that cannot work")
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error %q repeats the password", err)
		}
	}
}

// Two Stores on one SQLite file (one process) share their locks, so the
// broker's cross-replica exclusion holds for them too.
func TestSQLiteTwoStoresOnOneFileShareLocks(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "onbehalf.db")
	storetest.RunLockExclusion(t, []store.Store{mustOpen(t, dsn), mustOpen(t, dsn)})
}

// Two memory stores are two databases: their locks are independent.
func TestSQLiteMemoryStoresHaveOwnLocks(t *testing.T) {
	a, b := mustOpen(t, "sqlite::memory:"), mustOpen(t, "sqlite::memory:")
	unlock, err := a.Lock(context.Background(), "k")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, err := b.Lock(ctx, "k")
	if err != nil {
		t.Fatalf("second memory store's Lock(k) while the first holds k: %v", err)
	}
	u()
}
