-- The audit spool (auditspool.go): broker calls append their audit events
-- to a spool file next to the database with one write, and a background
-- loop loads them here in large transactions. audit_spool records, in the
-- same transaction as the events it loads, how far into each spool file
-- the database has got, so a replay after a crash loads every record once.
--
-- With events arriving in large batches, the workload and user indexes
-- dropped in 00005 cost little again (a few pages per thousand events), so
-- they come back and those filters are indexed once more.

-- +goose Up
CREATE TABLE audit_spool (
    file   TEXT PRIMARY KEY,
    loaded INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_events_workload ON audit_events (workload, time);
CREATE INDEX audit_events_user ON audit_events (user_id, time);

-- +goose Down
-- Load or remove any *.spool files first (stop every process and open the
-- database once with this version): without audit_spool a replay would
-- start each file from its beginning and load its events again.
DROP INDEX audit_events_user;
DROP INDEX audit_events_workload;
DROP TABLE audit_spool;
