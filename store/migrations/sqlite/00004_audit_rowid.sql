-- Cheaper audit commits on SQLite. Every broker call appends one event and
-- waits for its commit, and each commit wrote one WAL frame per page it
-- touched: the row, three index leaves, and the audit_events row of
-- sqlite_sequence that AUTOINCREMENT updates on every insert. This rebuilds
-- the table as a plain INTEGER PRIMARY KEY (rowid) table: new ids are still
-- max(id)+1, so they keep increasing as long as the newest events are never
-- deleted (nothing deletes audit events), which is all BeforeID paging and
-- the id tie-break need. The indexes drop their explicit id column: the
-- rowid is in every index entry already, and (time) alone orders ties by it.
--
-- Kept: audit_events_time, because ListAudit orders newest first by (time,
-- id) and events may be appended out of time order; audit_events_workload
-- and audit_events_user, the common "what did this agent / user do"
-- questions.

-- +goose Up
CREATE TABLE audit_events_new (
    id         INTEGER PRIMARY KEY,
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
INSERT INTO audit_events_new SELECT * FROM audit_events ORDER BY id;
DROP TABLE audit_events;
ALTER TABLE audit_events_new RENAME TO audit_events;
CREATE INDEX audit_events_time ON audit_events (time);
CREATE INDEX audit_events_workload ON audit_events (workload, time);
CREATE INDEX audit_events_user ON audit_events (user_id, time);

-- +goose Down
CREATE TABLE audit_events_old (
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
INSERT INTO audit_events_old SELECT * FROM audit_events ORDER BY id;
DROP TABLE audit_events;
ALTER TABLE audit_events_old RENAME TO audit_events;
CREATE INDEX audit_events_time ON audit_events (time, id);
CREATE INDEX audit_events_workload ON audit_events (workload, time, id);
CREATE INDEX audit_events_user ON audit_events (user_id, time, id);
