package io.dlm.backend.jdbc;

/**
 * The SQL of H2 2.x for one lock table. The acquisition is {@code MERGE INTO ... USING ... WHEN
 * MATCHED AND expired THEN UPDATE ... WHEN NOT MATCHED THEN INSERT}, read back through {@code
 * FINAL TABLE}: a row comes back exactly when the statement inserted or took over. H2 locks the
 * matched row and checks the condition again on the version it locked, so two takeovers of one
 * expired row cannot both win. Two inserts of a new row race to the primary key; the loser fails
 * with a duplicate key and runs again (see {@link TransientFailures}), when it finds the row.
 *
 * <p>Times are {@code TIMESTAMP WITH TIME ZONE} against {@code CURRENT_TIMESTAMP(6)}. H2 has no
 * clock that moves within a statement: {@code CURRENT_TIMESTAMP} is the start of the first
 * statement of the transaction that reads it (of each statement, in some compatibility modes). A
 * statement that waits for a row lock would thus judge expiry by a time from before the wait, and
 * an unlock report a release after the expiry (U2), a heartbeat revive the lease (H2), an
 * acquisition be refused by a lease that had ended (E2). So acquire, release, undo and renew run in
 * a transaction that first locks the row with {@link #lockRow}, a {@code SELECT ... FOR UPDATE}
 * that reads no time (see {@link RowLockFirst}); the statement after it reads the clock first, at
 * its own start, when the lock is held. Inspect waits for no lock and the reaper at worst deletes a
 * row later, so they stay single statements. In an embedded database the two statements cost no
 * network round trip; over H2's TCP server, three (lock, statement, commit).
 *
 * @param shared the statements every database runs alike
 * @param acquire inserts or takes over the row (parameters key, resource, client, lease, attempt);
 *     returns the new token when it did
 * @param undo ends this attempt's lease or leaves its tombstone (parameters key, resource, client,
 *     attempt)
 * @param lockRow locks the row of a key, if there is one, and reads no time
 * @param reap the reaper's statements, as MariaDB's
 */
record H2Statements(Statements shared, String acquire, String undo, String lockRow, ReapByKeys reap) {

    private static final String NOW = "CURRENT_TIMESTAMP(6)";

    private static final long TOMBSTONE_LEASE = Dialect.TOMBSTONE_LEASE;

    private static final String ACQUIRE = "SELECT fencing_token FROM FINAL TABLE (MERGE INTO {table} AS l USING"
            + " (VALUES (CAST(? AS BINARY(32)), CAST(? AS VARBINARY(3072)), CAST(? AS VARBINARY(3072)),"
            + " CAST(? AS BIGINT), CAST(? AS BIGINT))) AS s (lock_key, resource_id, client_id, lease_micros,"
            + " attempt_id)"
            + " ON l.lock_key = s.lock_key"
            + " WHEN MATCHED AND l.expires_at <= " + NOW + " AND (l.attempt_id IS DISTINCT FROM s.attempt_id"
            + " OR l.client_id <> s.client_id) THEN UPDATE SET client_id = s.client_id,"
            + " fencing_token = NEXT VALUE FOR {sequence}, attempt_id = s.attempt_id, lease_micros = s.lease_micros,"
            + " expires_at = DATEADD(MICROSECOND, s.lease_micros, " + NOW + ")"
            + " WHEN NOT MATCHED THEN INSERT (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at, reap_from) VALUES (s.lock_key, s.resource_id, s.client_id,"
            + " NEXT VALUE FOR {sequence}, s.attempt_id, s.lease_micros,"
            + " DATEADD(MICROSECOND, s.lease_micros, " + NOW + "), " + NOW + "))";

    // The cast types the parameter as the token is typed; H2 would take it as 0's INTEGER.
    private static final String TOKEN = "(CAST(? AS BIGINT) = 0 OR fencing_token = ?)";

    // reap_from is left as it is unless the reaper moved it past now (see Dialect).
    private static final String RELEASE = "UPDATE {table} SET expires_at = " + NOW + ", reap_from = LEAST(reap_from, "
            + NOW + ") WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW;

    /*
     * Ends this attempt's lease or turns the free row into its tombstone, or inserts the tombstone;
     * a live lease of another acquisition is not matched. Run after the row lock; two inserts race
     * to the primary key as the acquisition's do.
     */
    private static final String UNDO = "MERGE INTO {table} AS l USING (VALUES (CAST(? AS BINARY(32)),"
            + " CAST(? AS VARBINARY(3072)), CAST(? AS VARBINARY(3072)), CAST(? AS BIGINT)))"
            + " AS s (lock_key, resource_id, client_id, attempt_id) ON l.lock_key = s.lock_key"
            + " WHEN MATCHED AND (l.expires_at <= " + NOW + " OR (l.client_id = s.client_id"
            + " AND l.attempt_id = s.attempt_id)) THEN UPDATE SET client_id = s.client_id,"
            + " attempt_id = s.attempt_id, lease_micros = " + TOMBSTONE_LEASE + ", expires_at = " + NOW + ","
            + " reap_from = LEAST(l.reap_from, " + NOW + ")"
            + " WHEN NOT MATCHED THEN INSERT (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at, reap_from) VALUES (s.lock_key, s.resource_id, s.client_id, 0, s.attempt_id, "
            + TOMBSTONE_LEASE + ", " + NOW + ", " + NOW + ")";

    private static final String RENEW = "UPDATE {table} SET expires_at = DATEADD(MICROSECOND, lease_micros, " + NOW
            + ") WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW;

    private static final String INSPECT = "SELECT client_id, fencing_token, DATEDIFF(MICROSECOND, " + NOW
            + ", expires_at) FROM {table} WHERE lock_key = ? AND expires_at > " + NOW;

    private static final String LIST = "SELECT resource_id, client_id, fencing_token, DATEDIFF(MICROSECOND, " + NOW
            + ", expires_at) FROM {table} WHERE expires_at > " + NOW + " AND SUBSTRING(resource_id FROM 1 FOR ?) = ?"
            + " ORDER BY resource_id FETCH FIRST ? ROWS ONLY";

    /** Rows whose mark is older than the retention (parameter 1). */
    private static final String DUE = " reap_from < DATEADD(MICROSECOND, -CAST(? AS BIGINT), " + NOW + ")";

    /** A row whose lease ended a retention ago (parameter 1), or a tombstone its keep ago (2). */
    private static final String GONE = "expires_at < DATEADD(MICROSECOND, -CAST(? AS BIGINT), " + NOW + ")"
            + " AND (lease_micros <> " + TOMBSTONE_LEASE + " OR expires_at < DATEADD(MICROSECOND, -CAST(? AS BIGINT), "
            + NOW + "))";

    // The reaper's statements, as MariaDB's (see ReapByKeys).
    private static final ReapByKeys REAP = new ReapByKeys(
            "SELECT lock_key FROM {table} WHERE" + DUE + " ORDER BY reap_from FETCH FIRST ? ROWS ONLY",
            "DELETE FROM {table} WHERE lock_key IN " + ReapByKeys.keyList() + " AND " + GONE,
            "UPDATE {table} SET reap_from = CASE WHEN lease_micros = " + TOMBSTONE_LEASE
                    + " THEN DATEADD(MICROSECOND, CAST(? AS BIGINT), expires_at) ELSE expires_at END"
                    + " WHERE lock_key IN " + ReapByKeys.keyList() + " AND" + DUE + " AND NOT (" + GONE + ")");

    /** Locks the row of a key, if there is one, and reads no time. */
    private static final String LOCK_ROW = "SELECT lock_key FROM {table} WHERE lock_key = ? FOR UPDATE";

    private static final String INDEX =
            "SELECT 1 FROM INFORMATION_SCHEMA.INDEXES WHERE INDEX_SCHEMA = COALESCE(UPPER(?), SCHEMA())"
                    + " AND TABLE_NAME = UPPER(?) AND INDEX_NAME = UPPER(?)";

    /**
     * Writes H2's statements for a table, the row lock that comes first among them.
     *
     * @param table the lock table
     * @return the statements
     */
    static H2Statements of(TableName table) {
        return new H2Statements(
                Statements.of(table, Statements.STANDARD_CHECK, INDEX, RELEASE, RENEW, INSPECT, LIST),
                table.sql(ACQUIRE),
                table.sql(UNDO),
                table.sql(LOCK_ROW),
                REAP.forTable(table));
    }
}
