-- Initial schema for PostgreSQL. Same tables and columns as the SQLite
-- schema; native timestamptz (microsecond precision) and bytea.

-- +goose Up
CREATE TABLE vault (
    key        text PRIMARY KEY,
    ciphertext bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- "user" is a reserved word here (SELECT user returns the database role),
-- so the column is user_id.
CREATE TABLE audit_events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    time       timestamptz NOT NULL,
    action     text NOT NULL,
    workload   text NOT NULL,
    user_id    text NOT NULL,
    provider   text NOT NULL,
    flow       text NOT NULL,
    outcome    text NOT NULL,
    detail     text NOT NULL,
    request_id text NOT NULL,
    session_id text NOT NULL
);
CREATE INDEX audit_events_time ON audit_events (time, id);
CREATE INDEX audit_events_action ON audit_events (action, time, id);
CREATE INDEX audit_events_workload ON audit_events (workload, time, id);
CREATE INDEX audit_events_user ON audit_events (user_id, time, id);
CREATE INDEX audit_events_outcome ON audit_events (outcome, time, id);

CREATE TABLE sessions (
    id           text PRIMARY KEY,
    issuer       text NOT NULL,
    subject      text NOT NULL,
    agent        text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    messages     bytea NOT NULL,
    version      bigint NOT NULL
);

-- +goose Down
DROP TABLE sessions;
DROP TABLE audit_events;
DROP TABLE vault;
