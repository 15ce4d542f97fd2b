package io.dlm.backend.jdbc;

/**
 * The SQL of MariaDB 10.5 or later for one lock table. The acquisition is a plain {@code UPDATE}
 * that takes over the row if its lease is over: one statement for a resource locked within the
 * retention, whose row is kept, as on PostgreSQL. Its token comes back in the OK packet's last
 * insert id, which {@code LAST_INSERT_ID(NEXT VALUE FOR ...)} sets (MariaDB has no {@code UPDATE
 * ... RETURNING}), and whether it took the row from its update count, which is 1 under either
 * setting of the connection's {@code useAffectedRows} flag because the token always changes. Only
 * when it takes nothing does a second statement, {@code INSERT ... ON DUPLICATE KEY UPDATE} whose
 * assignments each apply only when the existing lease is over, insert the row, take it over if the
 * lease ended meanwhile, or report the holder, with {@code RETURNING} (10.5) to read the row back.
 * A connection with auto-commit off takes only that second statement (see {@link MariaDbSteps}).
 *
 * <p>Whether that second statement won is read from the sequence, not from affected-row counts
 * (which depend on {@code useAffectedRows}): the statement always draws a token in its {@code
 * VALUES}, and draws another when it takes over a row, so the row carries this session's {@code
 * PREVIOUS VALUE FOR} the sequence exactly when this statement wrote it. Tokens are never reused,
 * so a holder's token cannot be equal to it.
 *
 * <p>Times are {@code DATETIME(6)} in UTC: no session time zone and no daylight-saving gap can
 * shift them. A statement that may wait for a row lock (acquire, release, undo, renew) judges
 * expiry by {@code SYSDATE(6)}, the time at which it is evaluated, that is once the row is locked;
 * {@code UTC_TIMESTAMP(6)} and {@code NOW(6)} are the statement's start, before the wait, and
 * would let a statement that waited past an expiry take the lease for live: an unlock would report
 * a release after the expiry (U2), a heartbeat revive the lease (H2), an acquisition be refused by
 * a lease that had ended (E2). {@code SYSDATE} is in the session's time zone, so these statements
 * run under {@code SET STATEMENT time_zone = '+00:00'}, which touches no session setting. (A server
 * started with {@code --sysdate-is-now} turns {@code SYSDATE} back into the start time.)
 *
 * <p>The five assignments of the second statement must agree on one decision, while {@code SYSDATE} moves between
 * them: the first stores whether the lease is over (and the row is not this attempt's tombstone,
 * see {@link Dialect}) in the session variable {@code @dlm_expired},
 * and the others read it (MariaDB applies the assignments left to right; the variable is only read
 * by the statement that has just set it). A statement that reads without waiting ({@code inspect})
 * keeps the start time; so does the reaper, whose range on the index of {@code reap_from} needs a
 * constant, and which at worst deletes a row one statement later. Ids are {@code VARBINARY}, compared byte for
 * byte (no collation, no trailing-space rule).
 *
 * @param shared the statements every database runs alike
 * @param takeOver takes over an existing row whose lease is over and that is not this attempt's
 *     tombstone (parameters client, attempt, lease, lease, key, attempt, client); its update count
 *     tells whether it did, and its last insert id is then the new token
 * @param acquire after a refused takeover, inserts the row or takes it over (parameters key, resource, client, lease, lease,
 *     attempt); returns token, this session's last token, client, remaining microseconds, attempt
 * @param undo inserts the tombstone or, on the existing row once locked, ends this attempt's lease
 *     or turns the free row into its tombstone (parameters key, resource, client, attempt);
 *     returns client and attempt
 * @param reap the reaper's statements (see {@link ReapByKeys}); the statement start's time
 *     suffices: a row that comes due during a run is handled by the next
 */
record MariaDbStatements(Statements shared, String takeOver, String acquire, String undo, ReapByKeys reap) {

    /** Prefixes a statement that reads {@link #NOW}, so that it reads UTC. */
    static final String IN_UTC = "SET STATEMENT time_zone = '+00:00' FOR ";

    /** The database's time when the expression is evaluated (after the row lock), in UTC under {@link #IN_UTC}. */
    private static final String NOW = "SYSDATE(6)";

    private static final long TOMBSTONE_LEASE = Dialect.TOMBSTONE_LEASE;

    private static final String EXPIRED = "@dlm_expired";

    /*
     * The takeover of a kept row, the common case. A plain update of one row, so that the server
     * does no more than it must: the insert's attempt, the assignments that each test the decision
     * and the second token that ACQUIRE draws cost about 7 % of the pairs per second of eight
     * threads. Its WHERE is judged on the row once it is locked, by SYSDATE(6), as the release's;
     * the token is drawn then too, under the row lock (F1).
     */
    private static final String TAKE_OVER = IN_UTC + "UPDATE {table} SET client_id = ?, attempt_id = ?,"
            + " lease_micros = ?, expires_at = " + NOW + " + INTERVAL ? MICROSECOND,"
            + " fencing_token = LAST_INSERT_ID(NEXT VALUE FOR {sequence})"
            + " WHERE lock_key = ? AND expires_at <= " + NOW + " AND NOT (attempt_id <=> ? AND client_id = ?)";

    private static final String ACQUIRE = IN_UTC
            + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token, lease_micros,"
            + " expires_at, attempt_id, reap_from) VALUES (?, ?, ?, NEXT VALUE FOR {sequence}, ?,"
            + " " + NOW + " + INTERVAL ? MICROSECOND, ?, " + NOW + ")"
            + " ON DUPLICATE KEY UPDATE"
            + " client_id = IF((" + EXPIRED + " := (expires_at <= " + NOW + " AND NOT (client_id ="
            + " VALUES(client_id) AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
            + " fencing_token = IF(" + EXPIRED + ", NEXT VALUE FOR {sequence}, fencing_token),"
            + " lease_micros = IF(" + EXPIRED + ", VALUES(lease_micros), lease_micros),"
            + " attempt_id = IF(" + EXPIRED + ", VALUES(attempt_id), attempt_id),"
            + " expires_at = IF(" + EXPIRED + ", " + NOW + " + INTERVAL VALUES(lease_micros) MICROSECOND,"
            + " expires_at)"
            + " RETURNING fencing_token, PREVIOUS VALUE FOR {sequence}, client_id,"
            + " TIMESTAMPDIFF(MICROSECOND, " + NOW + ", expires_at), attempt_id";

    private static final String TOKEN = "(? = 0 OR fencing_token = ?)";

    // reap_from reads the expires_at just assigned (left to right), and is left as it is unless the
    // reaper moved it past now, so that no secondary index entry is written.
    private static final String RELEASE = IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + ", reap_from = LEAST(reap_from, expires_at)"
            + " WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW;

    private static final String UNDONE = "@dlm_undone";

    /*
     * Inserts the tombstone, or, on the existing row once locked, ends this attempt's lease or turns
     * the free row into its tombstone; a live lease of another acquisition keeps every column. The
     * decision is taken once, in the first assignment, as the acquisition's is.
     */
    private static final String UNDO = IN_UTC + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token,"
            + " lease_micros, expires_at, attempt_id, reap_from) VALUES (?, ?, ?, 0, " + TOMBSTONE_LEASE + ", " + NOW
            + ", ?, " + NOW + ")"
            + " ON DUPLICATE KEY UPDATE"
            + " client_id = IF((" + UNDONE + " := (expires_at <= " + NOW + " OR (client_id = VALUES(client_id)"
            + " AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
            + " attempt_id = IF(" + UNDONE + ", VALUES(attempt_id), attempt_id),"
            + " lease_micros = IF(" + UNDONE + ", " + TOMBSTONE_LEASE + ", lease_micros),"
            + " expires_at = IF(" + UNDONE + ", " + NOW + ", expires_at),"
            + " reap_from = IF(" + UNDONE + ", LEAST(reap_from, expires_at), reap_from)"
            + " RETURNING client_id, attempt_id";

    private static final String RENEW = IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + " + INTERVAL lease_micros MICROSECOND WHERE lock_key = ? AND client_id = ? AND " + TOKEN
            + " AND expires_at > " + NOW;

    private static final String INSPECT = "SELECT client_id, fencing_token,"
            + " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) FROM {table}"
            + " WHERE lock_key = ? AND expires_at > UTC_TIMESTAMP(6)";

    private static final String LIST = "SELECT resource_id, client_id, fencing_token,"
            + " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) FROM {table}"
            + " WHERE expires_at > UTC_TIMESTAMP(6) AND LEFT(resource_id, ?) = ? ORDER BY resource_id LIMIT ?";

    /** A row whose lease ended a retention ago (parameter 1), or a tombstone its keep ago (2). */
    private static final String GONE = "expires_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND AND (lease_micros <> "
            + TOMBSTONE_LEASE + " OR expires_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)";

    /** Rows whose mark is older than the retention (parameter 1), in the mark's order. */
    private static final String DUE = " reap_from < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND";

    // The reaper's statements (see ReapByKeys). The statement start's time suffices: a row that
    // comes due during a run is handled by the next.
    private static final ReapByKeys REAP = new ReapByKeys(
            "SELECT lock_key FROM {table} WHERE" + DUE + " ORDER BY reap_from LIMIT ?",
            "DELETE FROM {table} WHERE lock_key IN " + ReapByKeys.keyList() + " AND " + GONE,
            "UPDATE {table} SET reap_from = IF(lease_micros = " + TOMBSTONE_LEASE
                    + ", expires_at + INTERVAL ? MICROSECOND, expires_at) WHERE lock_key IN " + ReapByKeys.keyList()
                    + " AND" + DUE + " AND NOT (" + GONE + ")");

    private static final String INDEX =
            "SELECT 1 FROM information_schema.statistics WHERE table_schema = COALESCE(?, DATABASE())"
                    + " AND table_name = ? AND index_name = ?";

    /**
     * Writes MariaDB's statements for a table. Its release and renewal start with {@link #IN_UTC},
     * which the renewal batch replaces with a prefix that also bounds their time.
     *
     * @param table the lock table
     * @return the statements
     */
    static MariaDbStatements of(TableName table) {
        Statements shared = Statements.of(table, Statements.STANDARD_CHECK, INDEX, RELEASE, RENEW, INSPECT, LIST);
        return new MariaDbStatements(
                shared, table.sql(TAKE_OVER), table.sql(ACQUIRE), table.sql(UNDO), REAP.forTable(table));
    }
}
