-- DLM lock table for H2 2.x (dlm-backend-jdbc).
-- ${table} is dlm.jdbc.table (default dlm_locks); ${sequence} is ${table}_seq; ${index} is the
-- table's name followed by _reap. One row per resource that was locked recently: a row whose
-- expires_at has passed is free, and the reaper deletes it after dlm.jdbc.retention.
-- attempt_id: the runtime's id of the acquisition that made the lease, so that an acquisition
-- whose reply was lost can be undone without touching another (X5). A table made before it
-- existed needs: ALTER TABLE ${table} ADD COLUMN attempt_id BIGINT;
-- reap_from: where the reaper looks for the row, no later than expires_at (see the docs).
-- Acquire and release leave it as it is, so they write no index entry. Running this script again
-- on a table made before reap_from adds it and its index; the old index ${table}_expires is then
-- unused: drop it once no older DLM uses the table.
CREATE SEQUENCE IF NOT EXISTS ${sequence};
CREATE TABLE IF NOT EXISTS ${table} (
    lock_key      BINARY(32)                  NOT NULL PRIMARY KEY,
    resource_id   VARBINARY(3072)             NOT NULL,
    client_id     VARBINARY(3072)             NOT NULL,
    fencing_token BIGINT                      NOT NULL,
    attempt_id    BIGINT,
    lease_micros  BIGINT                      NOT NULL,
    expires_at    TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    reap_from     TIMESTAMP(6) WITH TIME ZONE NOT NULL DEFAULT TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00'
);
ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS reap_from TIMESTAMP(6) WITH TIME ZONE NOT NULL
    DEFAULT TIMESTAMP WITH TIME ZONE '1970-01-01 00:00:00+00';
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (reap_from);
