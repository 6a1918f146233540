package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// More errors returned by Open and the SQL Store.
var (
	// ErrInvalidDSN: Open was given a DSN it cannot use. The error text
	// never repeats the DSN (it may hold a password).
	ErrInvalidDSN = errors.New("store: invalid DSN")
	// ErrConflict: UpdateSession lost the compare-and-swap race more times
	// than it retries. Rare; the caller may retry.
	ErrConflict = errors.New("store: concurrent update conflict")
)

// Open connects to the database named by dsn, applies pending migrations and
// returns a Store. DSN forms:
//
//	sqlite:/var/lib/onbehalf/onbehalf.db   file (created if missing); relative paths allowed
//	sqlite:///var/lib/onbehalf/onbehalf.db same, URL style
//	sqlite::memory:                        private in-memory database, gone on Close
//	postgres://user:pass@host:5432/db?sslmode=disable
//	postgresql://...                       same; any pgx connection parameter works,
//	                                       e.g. search_path=myschema
//
// SQLite files run in WAL mode with a busy timeout and foreign keys on; reads
// use a pool of read-only connections and writes go through one connection,
// so concurrent writers queue instead of failing with SQLITE_BUSY.
func Open(ctx context.Context, dsn string) (Store, error) {
	scheme, rest, ok := strings.Cut(dsn, ":")
	if !ok {
		return nil, fmt.Errorf("%w: no scheme (want sqlite:, postgres:// or postgresql://)", ErrInvalidDSN)
	}
	switch strings.ToLower(scheme) {
	case "sqlite":
		return openSQLite(ctx, rest)
	case "postgres", "postgresql":
		if !strings.HasPrefix(rest, "//") {
			return nil, fmt.Errorf("%w: want %s://...", ErrInvalidDSN, scheme)
		}
		return openPostgres(ctx, dsn)
	default:
		if len(scheme) > 20 || strings.ContainsAny(scheme, "/@ ") {
			scheme = "?"
		}
		return nil, fmt.Errorf("%w: unsupported scheme %q (want sqlite:, postgres:// or postgresql://)", ErrInvalidDSN, scheme)
	}
}
