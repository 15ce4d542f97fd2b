package io.dlm.backend.jdbc;

/**
 * The SQL of PostgreSQL 9.6 or later for one lock table. The acquisition is an {@code UPDATE} that
 * takes over the row if its lease is over: one statement for a resource locked within the
 * retention, whose row is kept. Only when it takes nothing does a second statement insert the row
 * if there is none ({@code INSERT ... ON CONFLICT DO NOTHING}), or else report the holder. Expiry
 * is read by {@code clock_timestamp()}, so that a statement judges it when it decides, not when it
 * started ({@code now()} is even the transaction's start).
 *
 * <p>An {@code UPDATE} evaluates its {@code WHERE} and its new values when it reads the row,
 * before it waits for another transaction's lock on it, and evaluates them again after the wait
 * only if that transaction changed the row. For the takeover that is enough: a lease it finds live
 * refuses it without any wait, and one it finds over stays over while it waits, unless someone
 * changes the row, and then the update judges the new version, drawing its token again. Its token
 * is thus drawn when the statement has the row's latest version, and no other takeover of the row
 * can come between (F1). Behind a transaction that merely held the lock ({@code SELECT ... FOR
 * SHARE}, a statement that changed nothing) a heartbeat, though, would judge by a reading from
 * before the wait and could revive a lease that ended meanwhile (H2). So renew and undo first lock
 * the row in a subquery ({@link #LOCKED}) whose outer select reads the clock once the lock is
 * held, and judge the row as locked by that reading. The release needs no such lock: whatever it
 * decided, the row ends free, so only its answer could be stale, and that it takes from its {@code
 * RETURNING}, which runs after the wait: the release keeps in {@code lease_micros} what was left
 * of the lease at the statement's start, and reports the lease ended only if that much has not
 * passed by then (U2). Neither the takeover nor the release writes a column that an index holds,
 * so both are HOT updates, and neither takes a row lock of its own beyond the update's: one WAL
 * record per statement besides the commit. The waiter's mark does not judge at all: wrongly
 * marking a lease that has just ended only makes the waiter wait for a notification up to the
 * remaining lease it was told.
 *
 * <p>A release (or undo) of a lease that someone waits for sends {@code pg_notify} on the table's channel
 * with the hex key, in the same statement, so it is delivered when the release commits. Only then:
 * {@code NOTIFY} serializes the commits of all notifying transactions of a database, which would
 * make every release of a busy table queue behind the others. A waiter marks the lease it waits
 * for ({@code watched}, {@link #mark}) after its attempt was refused, naming the lease by its
 * token; a takeover starts unmarked. A mark that finds the lease gone means the resource just came
 * free, and the waiter tries again at once, so no release between the refusal and the mark goes
 * unnoticed.
 *
 * @param shared the statements every database runs alike; the release's {@code RETURNING} tells
 *     whether it ended a live lease and notifies the channel, its fifth parameter, if a waiter
 *     marked the lease; the renewal locks the row first (see {@link #LOCKED})
 * @param takeOver takes over an existing row whose lease is over and that is not this attempt's
 *     tombstone (parameters client, attempt, lease, lease, key, attempt, client); returns the new
 *     token
 * @param insertOrReport after a refused takeover, inserts the row if there is none, or else
 *     reports the row (parameters key, resource, client, lease, lease, attempt, key)
 * @param undo with the row locked, ends this attempt's lease or leaves its tombstone (parameters
 *     key, resource, client, attempt, key, channel)
 * @param reap the reaper's run in one statement (parameters retention, tombstones' keep, batch,
 *     keep less retention)
 */
record PostgresStatements(Statements shared, String takeOver, String insertOrReport, String undo, String reap) {

    private static final long TOMBSTONE_LEASE = Dialect.TOMBSTONE_LEASE;

    /** Microseconds from the database's now to an expiry; EXTRACT is exact (numeric) on 14+. */
    private static final String REMAINING =
            "(EXTRACT(EPOCH FROM (%s.expires_at - clock_timestamp())) * 1000000)::bigint";

    /*
     * The takeover: the only statement of an acquisition that finds the row free, which is the
     * common case: a resource locked within the retention keeps its row. A plain update of one
     * row, so that the server does no more than it must: a statement that also held the insert and
     * the report of the holder cost about 15 % more server time per acquire and release, for
     * branches this case never runs.
     */
    private static final String TAKE_OVER = "UPDATE {table} l SET client_id = ?, fencing_token = nextval('{sequence}'),"
            + " attempt_id = ?, lease_micros = ?, expires_at = clock_timestamp() + ? * INTERVAL '1 microsecond',"
            + " watched = FALSE WHERE l.lock_key = ? AND l.expires_at <= clock_timestamp()"
            + " AND (l.attempt_id IS DISTINCT FROM ? OR l.client_id <> ?) RETURNING l.fencing_token";

    /*
     * The insert of the row if there is none, or else the row as the statement's snapshot shows it.
     * That may predate a holder that committed while the statement ran, or show nothing, or a lease
     * that ended since the takeover looked; the caller then looks again (see PostgresSteps).
     */
    private static final String INSERT_OR_REPORT =
            "WITH added AS (INSERT INTO {table} (lock_key, resource_id, client_id,"
                    + " fencing_token, lease_micros, expires_at, attempt_id, reap_from) VALUES (?, ?, ?,"
                    + " nextval('{sequence}'), ?, clock_timestamp() + ? * INTERVAL '1 microsecond', ?, clock_timestamp())"
                    + " ON CONFLICT (lock_key) DO NOTHING RETURNING fencing_token)"
                    + " SELECT TRUE, fencing_token, NULL::bytea, 0::bigint FROM added"
                    + " UNION ALL SELECT FALSE, h.fencing_token, h.client_id, " + REMAINING.formatted("h")
                    + " FROM {table} h WHERE h.lock_key = ? AND NOT EXISTS (SELECT 1 FROM added)";

    /**
     * The row of the key (parameter 1), locked, as it is once locked, with {@code now}: the clock
     * read then. FOR UPDATE keeps the inner select from being merged into the outer one, whose
     * target list is computed only for a row the lock step has returned; the volatile function
     * keeps the CTE from being inlined. The conditions must test these columns, not the updated
     * table's: the update finds its row by the statement's snapshot, from before the wait, and a
     * version that a renewal committed meanwhile would be judged by its old expiry (and a live
     * lease found over) before the update ever got to re-read it. A row deleted meanwhile yields
     * nothing.
     */
    private static final String LOCKED = "locked AS (SELECT r.lock_key, r.client_id, r.fencing_token,"
            + " r.attempt_id, r.expires_at, clock_timestamp() AS now FROM (SELECT lock_key, client_id,"
            + " fencing_token, attempt_id, expires_at FROM {table} WHERE lock_key = ? FOR UPDATE) r)";

    /*
     * The release (parameters: key, client, token, token, channel): ends a live lease of the client,
     * of that token unless it is 0, as of the statement's start (statement_timestamp(), one reading
     * for the whole statement, which a concurrent change that makes the update read the row again
     * does not move), keeping in lease_micros what was left of the lease then: at least 1 µs, so
     * never a tombstone's 0; date_part's float is exact to the microsecond for 285 years, and
     * cheaper than EXTRACT's numeric. RETURNING, which runs once the update has the row, tells
     * whether that much time has not passed yet by clock_timestamp(), and notifies the channel if a
     * waiter marked the lease. A tombstone is never live. reap_from stays as it is unless the
     * reaper moved it past now.
     */
    private static final String RELEASE = "UPDATE {table} l SET expires_at = statement_timestamp(),"
            + " reap_from = LEAST(l.reap_from, statement_timestamp()),"
            + " lease_micros = (date_part('epoch', l.expires_at - statement_timestamp()) * 1000000)::bigint"
            + " WHERE l.lock_key = ? AND l.client_id = ? AND (? = 0 OR l.fencing_token = ?)"
            + " AND l.expires_at > statement_timestamp() AND l.lease_micros <> " + TOMBSTONE_LEASE
            + " RETURNING l.expires_at + l.lease_micros * INTERVAL '1 microsecond' > clock_timestamp(),"
            + " CASE WHEN l.watched THEN pg_notify(?, encode(l.lock_key, 'hex')) END";

    /*
     * The undo (parameters: key, resource, client, attempt, key, channel): with the row locked,
     * ends the lease of this attempt or turns a free row into its tombstone (notifying only when a
     * live lease ended); inserts the tombstone when there is no row. Its rows: one per row
     * written, or the locked row alone when another lease lives; none when a row inserted after
     * the statement's snapshot made the insert do nothing, and the statement must run again.
     */
    private static final String UNDO = "WITH " + LOCKED + ", s AS (SELECT ?::bytea AS resource_id, ?::bytea AS"
            + " client_id, ?::bigint AS attempt_id),"
            + " tomb AS (UPDATE {table} l SET client_id = s.client_id, attempt_id = s.attempt_id,"
            + " lease_micros = " + TOMBSTONE_LEASE + ", expires_at = locked.now,"
            + " reap_from = LEAST(l.reap_from, locked.now) FROM locked, s"
            + " WHERE l.lock_key = locked.lock_key AND (locked.expires_at <= locked.now"
            + " OR (locked.client_id = s.client_id AND locked.attempt_id = s.attempt_id))"
            + " RETURNING l.lock_key, l.watched AND locked.expires_at > locked.now AS wake),"
            + " added AS (INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at, reap_from) SELECT ?, s.resource_id, s.client_id, 0, s.attempt_id, "
            + TOMBSTONE_LEASE + ", clock_timestamp(), clock_timestamp() FROM s WHERE NOT EXISTS (SELECT 1 FROM locked)"
            + " ON CONFLICT (lock_key) DO NOTHING RETURNING lock_key)"
            + " SELECT TRUE, CASE WHEN wake THEN pg_notify(?, encode(lock_key, 'hex')) END FROM tomb"
            + " UNION ALL SELECT TRUE, NULL FROM added"
            + " UNION ALL SELECT FALSE, NULL FROM locked WHERE NOT EXISTS (SELECT 1 FROM tomb)";

    /** The waiter's mark (parameters: key, token); see {@link #mark}. */
    private static final String MARK = "UPDATE {table} SET watched = TRUE"
            + " WHERE lock_key = ? AND fencing_token = ? AND expires_at > clock_timestamp()";

    private static final String RENEW = "WITH " + LOCKED + " UPDATE {table} l SET expires_at = locked.now"
            + " + l.lease_micros * INTERVAL '1 microsecond' FROM locked WHERE l.lock_key = locked.lock_key"
            + " AND locked.client_id = ? AND (? = 0 OR locked.fencing_token = ?) AND locked.expires_at > locked.now";

    private static final String INSPECT = "SELECT client_id, fencing_token, " + REMAINING.formatted("l")
            + " FROM {table} l WHERE lock_key = ? AND expires_at > clock_timestamp()";

    private static final String LIST = "SELECT resource_id, client_id, fencing_token, " + REMAINING.formatted("l")
            + " FROM {table} l WHERE expires_at > clock_timestamp() AND substring(resource_id FROM 1 FOR ?) = ?"
            + " ORDER BY resource_id LIMIT ?";

    /*
     * The reaper (parameters: retention, tombstones' keep, batch, keep less retention): locks the
     * rows whose mark is older than the retention, in the order of the mark, skipping those that a
     * lock statement holds right now; deletes those that may go and moves the mark of the others
     * to where they may (see Dialect). Each branch finds its rows by key. The cutoff is a sub-select
     * so that it bounds the index scan.
     */
    private static final String REAP =
            "WITH cut AS (SELECT clock_timestamp() - ? * INTERVAL '1 microsecond' AS rows_before,"
                    + " clock_timestamp() - ? * INTERVAL '1 microsecond' AS tombstones_before),"
                    + " due AS (SELECT d.lock_key, d.expires_at < cut.rows_before AND (d.lease_micros <> "
                    + TOMBSTONE_LEASE + " OR d.expires_at < cut.tombstones_before) AS gone FROM {table} d, cut"
                    + " WHERE d.reap_from < (SELECT rows_before FROM cut) ORDER BY d.reap_from LIMIT ?"
                    + " FOR UPDATE OF d SKIP LOCKED),"
                    + " deleted AS (DELETE FROM {table} WHERE lock_key = ANY (ARRAY(SELECT lock_key FROM due WHERE gone))"
                    + " RETURNING 1),"
                    + " moved AS (UPDATE {table} SET reap_from = CASE WHEN lease_micros = " + TOMBSTONE_LEASE
                    + " THEN expires_at + ? * INTERVAL '1 microsecond' ELSE expires_at END"
                    + " WHERE lock_key = ANY (ARRAY(SELECT lock_key FROM due WHERE NOT gone)) RETURNING 1)"
                    + " SELECT (SELECT count(*) FROM deleted), (SELECT count(*) FROM moved)";

    private static final String CHECK = "SELECT nextval('{sequence}'), attempt_id, reap_from FROM {table} WHERE FALSE";

    private static final String INDEX =
            "SELECT 1 FROM pg_indexes WHERE schemaname = COALESCE(lower(?), current_schema())"
                    + " AND tablename = lower(?) AND indexname = lower(?)";

    /**
     * Writes PostgreSQL's statements for a table.
     *
     * @param table the lock table
     * @return the statements
     */
    static PostgresStatements of(TableName table) {
        Statements shared = Statements.of(table, CHECK, INDEX, RELEASE, RENEW, INSPECT, LIST);
        return new PostgresStatements(
                shared, table.sql(TAKE_OVER), table.sql(INSERT_OR_REPORT), table.sql(UNDO), table.sql(REAP));
    }

    /**
     * The waiter's mark of the lease it waits for (parameters key, token), which {@link
     * ReleaseNotifier} runs: the lease's release then notifies.
     *
     * @param table the lock table
     * @return the statement
     */
    static String mark(TableName table) {
        return table.sql(MARK);
    }
}
