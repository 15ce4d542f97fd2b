-- DLM lock table for PostgreSQL 9.5 or later (dlm-backend-jdbc).
-- ${table} is dlm.jdbc.table (default dlm_locks); ${sequence} is ${table}_seq; ${index} is the
-- table's unqualified name followed by _expires. One row per resource that was locked recently:
-- a row whose expires_at has passed is free, and the reaper deletes it after dlm.jdbc.retention.
-- watched: a client of another manager waits for this lease, so its release sends NOTIFY.
-- attempt_id: the runtime's id of the acquisition that made the lease, so that an acquisition
-- whose reply was lost can be undone without touching another (X5). A table made before it
-- existed needs: ALTER TABLE ${table} ADD COLUMN attempt_id bigint;
CREATE SEQUENCE IF NOT EXISTS ${sequence};
CREATE TABLE IF NOT EXISTS ${table} (
    lock_key      bytea       NOT NULL PRIMARY KEY,
    resource_id   bytea       NOT NULL,
    client_id     bytea       NOT NULL,
    fencing_token bigint      NOT NULL,
    attempt_id    bigint,
    lease_micros  bigint      NOT NULL,
    expires_at    timestamptz NOT NULL,
    watched       boolean     NOT NULL DEFAULT FALSE
);
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (expires_at);
