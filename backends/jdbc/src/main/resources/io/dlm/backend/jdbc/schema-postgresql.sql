-- DLM lock table for PostgreSQL 9.6 or later (dlm-backend-jdbc).
-- ${table} is dlm.jdbc.table (default dlm_locks); ${sequence} is ${table}_seq; ${index} is the
-- table's unqualified name followed by _reap. One row per resource that was locked recently:
-- a row whose expires_at has passed is free, and the reaper deletes it after dlm.jdbc.retention.
-- watched: a client of another manager waits for this lease, so its release sends NOTIFY.
-- attempt_id: the runtime's id of the acquisition that made the lease, so that an acquisition
-- whose reply was lost can be undone without touching another (X5). A table made before it
-- existed needs: ALTER TABLE ${table} ADD COLUMN attempt_id bigint;
-- reap_from: where the reaper looks for the row, no later than expires_at (see the docs). Acquire
-- and release leave it as it is, so they change no indexed column and PostgreSQL updates the row
-- in place (HOT), without new index entries. Running this script again on a table made before
-- reap_from adds it and its index; the old index ${table}_expires is then unused: drop it once no
-- older DLM uses the table.
CREATE SEQUENCE IF NOT EXISTS ${sequence};
CREATE TABLE IF NOT EXISTS ${table} (
    lock_key      bytea       NOT NULL PRIMARY KEY,
    resource_id   bytea       NOT NULL,
    client_id     bytea       NOT NULL,
    fencing_token bigint      NOT NULL,
    attempt_id    bigint,
    lease_micros  bigint      NOT NULL,
    expires_at    timestamptz NOT NULL,
    watched       boolean     NOT NULL DEFAULT FALSE,
    reap_from     timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00'
);
ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS reap_from timestamptz NOT NULL DEFAULT '1970-01-01 00:00:00+00';
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (reap_from);
