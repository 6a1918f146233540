package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers driver "pgx"
	"github.com/pressly/goose/v3"
)

// openPostgres opens a postgres:// or postgresql:// DSN through pgx. Error
// messages come from pgx, which names host, user and database but never the
// password; this code never repeats the DSN.
func openPostgres(ctx context.Context, dsn string) (Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(time.Hour)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: postgres: %w", err)
	}
	if err := migrate(ctx, db, goose.DialectPostgres, "postgres", pgMigrationLock{}); err != nil {
		db.Close()
		return nil, err
	}
	locks, err := newPGLocker(dsn)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &sqlStore{read: db, write: db, locks: locks, now: time.Now, audit: newAuditInserter(false, false)}, nil
}

// pgMigrationLock serialises migrations across replicas that start together
// with a session advisory lock. Unlike goose's stock locker (one lock id per
// database, polled every 5 s) it blocks in the server until the lock is free
// and is keyed by the current schema, so stores in different schemas of one
// database (as the tests use) migrate independently.
type pgMigrationLock struct{}

const pgLockKey = "hashtext('onbehalf.store.migrate.' || coalesce(current_schema(), ''))::bigint"

func (pgMigrationLock) SessionLock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock("+pgLockKey+")"); err != nil {
		return fmt.Errorf("store: migration lock: %w", err)
	}
	return nil
}

func (pgMigrationLock) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock("+pgLockKey+")"); err != nil {
		return fmt.Errorf("store: migration unlock: %w", err)
	}
	return nil
}
