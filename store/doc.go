// Package store owns onbehalf's persistent state: the encrypted token vault
// rows, audit events and runtime sessions. One Store interface, implemented
// over database/sql for SQLite (modernc.org/sqlite, the embedded default) and
// PostgreSQL (jackc/pgx/v5 stdlib), with embedded goose migrations and one
// conformance suite run against every backend.
//
// The store never sees plaintext secrets: vault rows arrive already sealed by
// the identity broker.
package store
