-- Control-plane records of the identity broker (credential providers,
-- workload identities, pending OAuth2 authorization sessions, …) and indexes
-- for the audit filters added with them. TEXT compares bytewise (BINARY),
-- so ORDER BY name is byte order, as on PostgreSQL with COLLATE "C".

-- +goose Up
CREATE TABLE resources (
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL,
    data       BLOB NOT NULL,
    secret     BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_at TEXT,
    version    INTEGER NOT NULL,
    PRIMARY KEY (kind, name)
) STRICT;
CREATE INDEX resources_expires ON resources (kind, expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX audit_events_provider ON audit_events (provider, time, id);

-- +goose Down
DROP INDEX audit_events_provider;
DROP TABLE resources;
