-- DLM lock table for H2 2.x (dlm-backend-jdbc).
-- ${table} is dlm.jdbc.table (default dlm_locks); ${sequence} is ${table}_seq; ${index} is the
-- table's name followed by _expires. One row per resource that was locked recently: a row whose
-- expires_at has passed is free, and the reaper deletes it after dlm.jdbc.retention.
-- attempt_id: the runtime's id of the acquisition that made the lease, so that an acquisition
-- whose reply was lost can be undone without touching another (X5). A table made before it
-- existed needs: ALTER TABLE ${table} ADD COLUMN attempt_id BIGINT;
CREATE SEQUENCE IF NOT EXISTS ${sequence};
CREATE TABLE IF NOT EXISTS ${table} (
    lock_key      BINARY(32)                  NOT NULL PRIMARY KEY,
    resource_id   VARBINARY(3072)             NOT NULL,
    client_id     VARBINARY(3072)             NOT NULL,
    fencing_token BIGINT                      NOT NULL,
    attempt_id    BIGINT,
    lease_micros  BIGINT                      NOT NULL,
    expires_at    TIMESTAMP(6) WITH TIME ZONE NOT NULL
);
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (expires_at);
