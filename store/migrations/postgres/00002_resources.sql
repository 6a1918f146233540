-- Control-plane records of the identity broker (credential providers,
-- workload identities, pending OAuth2 authorization sessions, …) and indexes
-- for the audit filters added with them.
--
-- name is COLLATE "C" so that ORDER BY name (ListResources pages) is byte
-- order, the same on every server locale and the same as SQLite's.

-- +goose Up
CREATE TABLE resources (
    kind       text NOT NULL,
    name       text COLLATE "C" NOT NULL,
    data       bytea NOT NULL,
    secret     bytea NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    expires_at timestamptz,
    version    bigint NOT NULL,
    PRIMARY KEY (kind, name)
);
CREATE INDEX resources_expires ON resources (kind, expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX audit_events_provider ON audit_events (provider, time, id);

-- +goose Down
DROP INDEX audit_events_provider;
DROP TABLE resources;
