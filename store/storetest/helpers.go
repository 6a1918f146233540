package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx" for schema setup

	"github.com/onbehalf/onbehalf/store"
)

// PostgresEnv names the environment variable holding the PostgreSQL DSN for
// tests, e.g. postgres://onbehalf:onbehalf@127.0.0.1:5432/onbehalf_test?sslmode=disable
const PostgresEnv = "ONBEHALF_TEST_POSTGRES"

// NewSQLite opens a fresh SQLite store in a file under t.TempDir() and
// closes it when the test ends.
func NewSQLite(t testing.TB) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "onbehalf.db"))
	if err != nil {
		t.Fatalf("open sqlite store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// SkipWithoutPostgres skips the test, saying why, unless
// ONBEHALF_TEST_POSTGRES is set.
func SkipWithoutPostgres(t testing.TB) {
	t.Helper()
	if os.Getenv(PostgresEnv) == "" {
		t.Skipf("%s is not set; set it to a PostgreSQL DSN to run the PostgreSQL store tests (notes/postgres-setup.sh prepares a local server)", PostgresEnv)
	}
}

// NewPostgres opens a store in a new, empty schema of the database named by
// ONBEHALF_TEST_POSTGRES and drops the schema when the test ends, so tests
// and concurrent runs never see each other's rows. It skips the test when
// the variable is unset.
func NewPostgres(t testing.TB) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), PostgresDSN(t))
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// PostgresDSN creates a fresh schema as NewPostgres does and returns a DSN
// whose search_path selects it, for tests that call store.Open themselves.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	SkipWithoutPostgres(t)
	base := os.Getenv(PostgresEnv)
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", PostgresEnv) // never print it: it holds a password
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "onbehalf_test_" + hex.EncodeToString(b[:])

	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("postgres: drop schema %s: %v", schema, err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
