package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * PostgreSQL: {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE expired RETURNING}, with the clock
 * read by {@code clock_timestamp()} so that a statement that waited for a row lock judges expiry at
 * the moment it decides, not when it started ({@code now()} is even the transaction's start).
 *
 * <p>Reading {@code clock_timestamp()} is not enough by itself, though: an {@code UPDATE} evaluates
 * its {@code WHERE} and its new values when it reads the row, before it waits for the row's lock,
 * and evaluates them again after the wait only if the other transaction changed the row. Behind a
 * transaction that merely held the lock ({@code SELECT ... FOR UPDATE}, or a statement that
 * changed nothing) it would judge by a reading from before the wait: an unlock would report a
 * release after the expiry (U2), a heartbeat revive the lease (H2). So release, undo and renew
 * first lock the row in a subquery ({@link #LOCKED}) whose outer select reads the clock once the
 * lock is held, and judge the row as locked by that reading. The acquisition needs none of this:
 * {@code ON CONFLICT DO UPDATE} locks the existing row first and only then evaluates its
 * {@code WHERE} and assignments. Nor does the waiter's mark: wrongly marking a lease that has just
 * ended only makes the waiter wait for a notification up to the remaining lease it was told.
 *
 * <p>A release (or undo) of a lease that someone waits for sends {@code pg_notify} on the table's channel
 * with the hex key, in the same statement, so it is delivered when the release commits. Only then:
 * {@code NOTIFY} serializes the commits of all notifying transactions of a database, which would
 * make every release of a busy table queue behind the others. A waiter marks the lease it waits
 * for ({@code watched}) after its attempt was refused, naming the lease by its token; a takeover
 * starts unmarked. A mark that finds the lease gone means the resource just came free, and the
 * waiter tries again at once, so no release between the refusal and the mark goes unnoticed.
 */
final class PostgresDialect extends Dialect {

    /** Microseconds from the database's now to an expiry; EXTRACT is exact (numeric) on 14+. */
    private static final String REMAINING =
            "(EXTRACT(EPOCH FROM (%s.expires_at - clock_timestamp())) * 1000000)::bigint";

    /*
     * The upsert either inserts, or takes over an expired row that is not this attempt's tombstone,
     * and then returns the token; when the WHERE refuses (a live lease, a tombstone) it returns nothing, and the second branch reports the holder.
     * That branch reads the statement's snapshot, which may predate a holder that committed while
     * the upsert waited for its row lock; the caller then looks again (see acquire).
     */
    private final String acquire = sql("WITH attempt AS ("
            + "INSERT INTO {table} AS l (lock_key, resource_id, client_id, fencing_token, lease_micros, expires_at,"
            + " attempt_id) VALUES (?, ?, ?, nextval('{sequence}'), ?,"
            + " clock_timestamp() + ? * INTERVAL '1 microsecond', ?)"
            + " ON CONFLICT (lock_key) DO UPDATE SET client_id = EXCLUDED.client_id,"
            + " fencing_token = nextval('{sequence}'), attempt_id = EXCLUDED.attempt_id,"
            + " lease_micros = EXCLUDED.lease_micros,"
            + " expires_at = clock_timestamp() + EXCLUDED.lease_micros * INTERVAL '1 microsecond', watched = FALSE"
            + " WHERE l.expires_at <= clock_timestamp()"
            + " AND (l.attempt_id IS DISTINCT FROM EXCLUDED.attempt_id OR l.client_id <> EXCLUDED.client_id)"
            + " RETURNING l.fencing_token)"
            + " SELECT TRUE, fencing_token, NULL::bytea, 0::bigint FROM attempt"
            + " UNION ALL"
            + " SELECT FALSE, h.fencing_token, h.client_id, " + REMAINING.formatted("h")
            + " FROM {table} h WHERE h.lock_key = ? AND NOT EXISTS (SELECT 1 FROM attempt)");

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

    private final String release = endLeaseSql("(? = 0 OR locked.fencing_token = ?)");

    /*
     * The undo (parameters: key, resource, client, attempt, key, channel): with the row locked,
     * ends the lease of this attempt or turns a free row into its tombstone (notifying only when a
     * live lease ended); inserts the tombstone when there is no row. Its rows: one per row
     * written, or the locked row alone when another lease lives; none when a row inserted after
     * the statement's snapshot made the insert do nothing, and the statement must run again.
     */
    private final String undo = sql("WITH " + LOCKED + ", s AS (SELECT ?::bytea AS resource_id, ?::bytea AS"
            + " client_id, ?::bigint AS attempt_id),"
            + " tomb AS (UPDATE {table} l SET client_id = s.client_id, attempt_id = s.attempt_id,"
            + " lease_micros = " + TOMBSTONE_LEASE + ", expires_at = locked.now FROM locked, s"
            + " WHERE l.lock_key = locked.lock_key AND (locked.expires_at <= locked.now"
            + " OR (locked.client_id = s.client_id AND locked.attempt_id = s.attempt_id))"
            + " RETURNING l.lock_key, l.watched AND locked.expires_at > locked.now AS wake),"
            + " added AS (INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at) SELECT ?, s.resource_id, s.client_id, 0, s.attempt_id, "
            + TOMBSTONE_LEASE + ", clock_timestamp() FROM s WHERE NOT EXISTS (SELECT 1 FROM locked)"
            + " ON CONFLICT (lock_key) DO NOTHING RETURNING lock_key)"
            + " SELECT TRUE, CASE WHEN wake THEN pg_notify(?, encode(lock_key, 'hex')) END FROM tomb"
            + " UNION ALL SELECT TRUE, NULL FROM added"
            + " UNION ALL SELECT FALSE, NULL FROM locked WHERE NOT EXISTS (SELECT 1 FROM tomb)");

    /** How often the undo runs when rows inserted meanwhile keep making its insert do nothing. */
    private static final int UNDO_RUNS = 3;

    private final String mark = sql("UPDATE {table} SET watched = TRUE"
            + " WHERE lock_key = ? AND fencing_token = ? AND expires_at > clock_timestamp()");

    private final String renew = sql("WITH " + LOCKED + " UPDATE {table} l SET expires_at = locked.now"
            + " + l.lease_micros * INTERVAL '1 microsecond' FROM locked WHERE l.lock_key = locked.lock_key"
            + " AND locked.client_id = ? AND (? = 0 OR locked.fencing_token = ?) AND locked.expires_at > locked.now");

    private final String inspect = sql("SELECT client_id, fencing_token, " + REMAINING.formatted("l")
            + " FROM {table} l WHERE lock_key = ? AND expires_at > clock_timestamp()");

    private final String list = sql("SELECT resource_id, client_id, fencing_token, " + REMAINING.formatted("l")
            + " FROM {table} l WHERE expires_at > clock_timestamp() AND substring(resource_id FROM 1 FOR ?) = ?"
            + " ORDER BY resource_id LIMIT ?");

    // SKIP LOCKED: rows being taken over right now are not the reaper's business.
    private final String reap = sql("DELETE FROM {table} WHERE lock_key IN (SELECT lock_key FROM {table}"
            + " WHERE expires_at < clock_timestamp() - ? * INTERVAL '1 microsecond'"
            + " AND (lease_micros <> " + TOMBSTONE_LEASE
            + " OR expires_at < clock_timestamp() - ? * INTERVAL '1 microsecond')"
            + " ORDER BY expires_at LIMIT ? FOR UPDATE SKIP LOCKED)");

    PostgresDialect(TableName table) {
        super(table);
    }

    /** Ends a live lease of the client that meets {@code condition}, notifying if it is watched. */
    private String endLeaseSql(String condition) {
        return sql("WITH " + LOCKED + ", ended AS (UPDATE {table} l SET expires_at = locked.now FROM locked"
                + " WHERE l.lock_key = locked.lock_key AND locked.client_id = ? AND " + condition
                + " AND locked.expires_at > locked.now RETURNING l.lock_key, l.watched)"
                + " SELECT CASE WHEN watched THEN pg_notify(?, encode(lock_key, 'hex')) END FROM ended");
    }

    @Override
    Kind kind() {
        return Kind.POSTGRESQL;
    }

    @Override
    Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, int timeoutSeconds)
            throws SQLException {
        Holder holder = attempt(connection, key, clientId, leaseMicros, attempt, timeoutSeconds);
        return holder == null ? Acquisition.held(1) : holder.outcome(clientId);
    }

    /**
     * Acquires like {@link #acquire}, and when another client's lease refuses it, marks that lease
     * as waited for, so that its release notifies (L4).
     *
     * @return the outcome; {@code held(1 ns)}, "try again now", when the refusing lease ended
     *     before it could be marked
     */
    Acquisition acquireAndWatch(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, int timeoutSeconds)
            throws SQLException {
        Holder holder = attempt(connection, key, clientId, leaseMicros, attempt, timeoutSeconds);
        if (holder == null) {
            return Acquisition.held(1);
        }
        Acquisition outcome = holder.outcome(clientId);
        if (outcome.status() != Acquisition.Status.HELD) {
            return outcome;
        }
        try (PreparedStatement statement = connection.prepareStatement(mark)) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setBytes(1, key.hash());
            statement.setLong(2, holder.fencingToken());
            return statement.executeUpdate() == 1 ? outcome : Acquisition.held(1);
        }
    }

    /**
     * Runs the upsert; returns this caller as holder when it won, the other holder when refused,
     * or null when the resource was freed between the upsert and a second look.
     */
    private @Nullable Holder attempt(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, int timeoutSeconds)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(acquire)) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setBytes(1, key.hash());
            statement.setBytes(2, key.id());
            statement.setBytes(3, clientId);
            statement.setLong(4, leaseMicros);
            statement.setLong(5, leaseMicros);
            statement.setLong(6, attempt);
            statement.setBytes(7, key.hash());
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    if (row.getBoolean(1)) {
                        return Holder.won(clientId, row.getLong(2));
                    }
                    long remaining = row.getLong(4);
                    if (remaining > 0) {
                        return new Holder(row.getBytes(3), row.getLong(2), remaining);
                    }
                }
            }
        }
        // Lost to a holder the snapshot does not show: a second look, with a fresh snapshot, names it.
        return inspect(connection, key, timeoutSeconds);
    }

    @Override
    boolean endLease(
            Connection connection, String sql, LockKey key, byte[] clientId, int timeoutSeconds, long... conditions)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            int channel = bindOwned(statement, key, clientId, conditions);
            statement.setString(channel, table.channel());
            try (ResultSet row = statement.executeQuery()) {
                return row.next();
            }
        }
    }

    @Override
    boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, int timeoutSeconds)
            throws SQLException {
        // A run that finds no row and then loses the insert to an acquisition runs again: the row
        // is there now, and the reaper leaves it for the retention.
        for (int run = 1; ; run++) {
            try (PreparedStatement statement = connection.prepareStatement(undo)) {
                statement.setQueryTimeout(timeoutSeconds);
                statement.setBytes(1, key.hash());
                statement.setBytes(2, key.id());
                statement.setBytes(3, clientId);
                statement.setLong(4, attempt);
                statement.setBytes(5, key.hash());
                statement.setString(6, table.channel());
                try (ResultSet row = statement.executeQuery()) {
                    if (row.next()) {
                        return row.getBoolean(1);
                    }
                }
            }
            if (run == UNDO_RUNS) {
                throw new SQLException(
                        "The undo found no row, then lost its insert to an acquisition, " + UNDO_RUNS + " times");
            }
        }
    }

    @Override
    String checkSql() {
        return sql("SELECT nextval('{sequence}'), attempt_id FROM {table} WHERE FALSE");
    }

    @Override
    boolean isTransient(SQLException e) {
        // 40001 serialization failure, 40P01 deadlock, 55P03 lock not available.
        return super.isTransient(e) || "55P03".equals(e.getSQLState());
    }

    @Override
    String releaseSql() {
        return release;
    }

    @Override
    String renewSql() {
        return renew;
    }

    @Override
    String inspectSql() {
        return inspect;
    }

    @Override
    String listSql() {
        return list;
    }

    @Override
    String reapSql() {
        return reap;
    }
}
