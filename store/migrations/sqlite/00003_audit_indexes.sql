-- Fewer audit indexes: every event (one per broker call) updated six
-- secondary B-trees, the main cost of the broker's hot path on SQLite's
-- single writer. Filters by action, outcome or provider are rare admin
-- queries; they scan audit_events_time (newest first, stopping at the
-- limit). Workload and user keep their indexes: "what did this agent / this
-- user do" is the common question.

-- +goose Up
DROP INDEX audit_events_action;
DROP INDEX audit_events_outcome;
DROP INDEX audit_events_provider;

-- +goose Down
CREATE INDEX audit_events_action ON audit_events (action, time, id);
CREATE INDEX audit_events_outcome ON audit_events (outcome, time, id);
CREATE INDEX audit_events_provider ON audit_events (provider, time, id);
