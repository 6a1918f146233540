-- Initial schema for SQLite. Times are TEXT in one fixed-width UTC form
-- (2006-01-02T15:04:05.000000Z) so text order is time order; STRICT tables
-- keep ciphertext and messages as BLOBs, byte for byte.

-- +goose Up
CREATE TABLE vault (
    key        TEXT PRIMARY KEY NOT NULL,
    ciphertext BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- "user" is a reserved word in PostgreSQL (SELECT user returns the database
-- role), so the column is user_id on both engines.
CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    time       TEXT NOT NULL,
    action     TEXT NOT NULL,
    workload   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    provider   TEXT NOT NULL,
    flow       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    request_id TEXT NOT NULL,
    session_id TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_time ON audit_events (time, id);
CREATE INDEX audit_events_action ON audit_events (action, time, id);
CREATE INDEX audit_events_workload ON audit_events (workload, time, id);
CREATE INDEX audit_events_user ON audit_events (user_id, time, id);
CREATE INDEX audit_events_outcome ON audit_events (outcome, time, id);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY NOT NULL,
    issuer       TEXT NOT NULL,
    subject      TEXT NOT NULL,
    agent        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    messages     BLOB NOT NULL,
    version      INTEGER NOT NULL
) STRICT;

-- +goose Down
DROP TABLE sessions;
DROP TABLE audit_events;
DROP TABLE vault;
