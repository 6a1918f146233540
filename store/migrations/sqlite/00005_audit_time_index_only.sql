-- Only the time index on SQLite's audit_events. Every broker call commits
-- one audit event and waits for it; each secondary index is one more B-tree
-- page, so one more WAL frame (two pwrite syscalls), per commit. Dropping
-- the workload and user indexes cut a one-event commit from ~100 us to
-- ~60 us (go test ./store -bench AppendAudits). Filters by workload or user
-- now walk audit_events_time newest first and stop at the limit: cheap for
-- an active agent or user, a longer scan for a rare one (an admin query,
-- not the hot path). PostgreSQL keeps its indexes: its commits do not pay
-- per page the same way and nothing there needs this.

-- +goose Up
DROP INDEX audit_events_workload;
DROP INDEX audit_events_user;

-- +goose Down
CREATE INDEX audit_events_workload ON audit_events (workload, time);
CREATE INDEX audit_events_user ON audit_events (user_id, time);
