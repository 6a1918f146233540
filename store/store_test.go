package store_test

import (
	"context"
	"testing"

	"github.com/onbehalf/onbehalf/store"
	"github.com/onbehalf/onbehalf/store/storetest"
)

func TestSQLiteFileConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store { return storetest.NewSQLite(t) })
}

func TestSQLiteMemoryConformance(t *testing.T) {
	storetest.RunTests(t, func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), "sqlite::memory:")
		if err != nil {
			t.Fatalf("Open(sqlite::memory:): %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestPostgresConformance runs when ONBEHALF_TEST_POSTGRES holds a DSN; each
// subtest gets a fresh schema. See notes/postgres-setup.sh.
func TestPostgresConformance(t *testing.T) {
	storetest.SkipWithoutPostgres(t)
	storetest.RunTests(t, func(t *testing.T) store.Store { return storetest.NewPostgres(t) })
}

// TestPostgresReplicasShareLocks: three Stores on one schema (three broker
// replicas) exclude each other through advisory locks.
func TestPostgresReplicasShareLocks(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	var stores []store.Store
	for range 3 {
		s, err := store.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	storetest.RunLockExclusion(t, stores)
}
