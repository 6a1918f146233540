// Package store owns onbehalf's persistent state: the encrypted token vault
// rows, audit events, runtime sessions, and the identity broker's
// control-plane records (credential providers, workload identities, pending
// OAuth2 authorization sessions) as opaque Resources keyed by kind and name. One Store interface, implemented
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
// UpdateSession and UpdateResource are optimistic: fn runs outside any lock
// and may run more than once, so it must not have side effects.
//
// Lock is the cross-replica mutex the broker takes around a cold token
// exchange: a PostgreSQL session advisory lock (on a small pool of its own,
// so waiters never starve holders of connections; a crashed holder's
// session ends and frees it), or for SQLite an in-process lock shared by
// every Store opened on the same file.
//
// Audit events on a SQLite file go through a spool (auditspool.go):
// AppendAudits appends them to a file next to the database with one write
// and returns; a background loader moves them into audit_events in large
// transactions, and the next Open replays what a killed process left,
// each event once. ListAudit sees the store's own spooled events at once,
// other processes' within 50 ms. SpoolsAudits tells callers (the broker)
// that batching events themselves buys nothing. PostgreSQL and in-memory
// stores commit every AppendAudits call.
//
// Vault rows are sealed by their writer; by convention the associated data
// is the row key, so that key rotation (identity's ReencryptAll) can re-seal
// every row with ListVault and SwapVault without knowing what it holds.
//
// Tests: package storetest holds the conformance suite (RunTests) and
// helpers that hand other packages' tests a fresh store (NewSQLite,
// NewPostgres). PostgreSQL tests run when ONBEHALF_TEST_POSTGRES holds a DSN.
package store
