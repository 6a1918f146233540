// Package store owns onbehalf's persistent state: the encrypted token vault
// rows, audit events and runtime sessions. One Store interface, implemented
// over database/sql for SQLite (modernc.org/sqlite, the embedded default) and
// PostgreSQL (jackc/pgx/v5 stdlib), with embedded goose migrations and one
// conformance suite run against every backend.
//
// The store never sees plaintext secrets: vault rows arrive already sealed by
// the identity broker.
//
// Quick start:
//
//	s, err := store.Open(ctx, "sqlite:/var/lib/onbehalf/onbehalf.db") // or "sqlite::memory:",
//	defer s.Close()                                                  // or "postgres://user:pass@host/db"
//
// Open applies pending migrations (migrations/sqlite, migrations/postgres;
// on PostgreSQL under an advisory lock, so replicas may start together).
// Times are stored in UTC with microsecond precision and returned as UTC; a
// zero VaultEntry.UpdatedAt, AuditEvent.Time or Session.CreatedAt is filled
// with the current time (a zero Session.LastSeenAt with CreatedAt).
// UpdateSession is optimistic: fn runs outside any lock and may run more than
// once, so it must not have side effects.
//
// Tests: package storetest holds the conformance suite (RunTests) and
// helpers that hand other packages' tests a fresh store (NewSQLite,
// NewPostgres). PostgreSQL tests run when ONBEHALF_TEST_POSTGRES holds a DSN.
package store
