-- DLM lock table for MariaDB 10.5 or later (dlm-backend-jdbc).
-- ${table} is dlm.jdbc.table (default dlm_locks); ${sequence} is ${table}_seq; ${index} is the
-- table's unqualified name followed by _reap. One row per resource that was locked recently:
-- a row whose expires_at (UTC) has passed is free, and the reaper deletes it after
-- dlm.jdbc.retention. Ids are VARBINARY so that they compare byte for byte.
-- attempt_id: the runtime's id of the acquisition that made the lease, so that an acquisition
-- whose reply was lost can be undone without touching another (X5). A table made before it
-- existed needs: ALTER TABLE ${table} ADD COLUMN attempt_id BIGINT;
-- reap_from (UTC): where the reaper looks for the row, no later than expires_at (see the docs).
-- Acquire and release leave it as it is, so they write no secondary index entry. Running this
-- script again on a table made before reap_from adds it and its index; the old index
-- ${table}_expires is then unused: drop it once no older DLM uses the table.
CREATE SEQUENCE IF NOT EXISTS ${sequence} ENGINE=InnoDB;
CREATE TABLE IF NOT EXISTS ${table} (
    lock_key      BINARY(32)      NOT NULL,
    resource_id   VARBINARY(3072) NOT NULL,
    client_id     VARBINARY(3072) NOT NULL,
    fencing_token BIGINT          NOT NULL,
    attempt_id    BIGINT,
    lease_micros  BIGINT          NOT NULL,
    expires_at    DATETIME(6)     NOT NULL,
    reap_from     DATETIME(6)     NOT NULL DEFAULT '1970-01-01 00:00:00',
    PRIMARY KEY (lock_key)
) ENGINE=InnoDB;
ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS reap_from DATETIME(6) NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX IF NOT EXISTS ${index} ON ${table} (reap_from);
