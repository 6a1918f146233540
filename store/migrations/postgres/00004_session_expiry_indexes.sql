-- The runtime purges each agent's long-expired sessions every few minutes
-- (store.DeleteExpiredSessions: agent and last_seen_at, or agent and
-- created_at); these indexes keep that from scanning every session.

-- +goose Up
CREATE INDEX sessions_agent_last_seen ON sessions (agent, last_seen_at);
CREATE INDEX sessions_agent_created ON sessions (agent, created_at);

-- +goose Down
DROP INDEX sessions_agent_created;
DROP INDEX sessions_agent_last_seen;
