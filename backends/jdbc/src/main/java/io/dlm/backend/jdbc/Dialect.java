package io.dlm.backend.jdbc;

import io.dlm.spi.LockBackend;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * One database's way with one lock table, put together from what differs between databases: its
 * SQL ({@link Statements}, written once from the table name by {@link PostgresStatements}, {@link
 * MariaDbStatements} or {@link H2Statements}), the few {@link Steps} it takes its own way ({@link
 * PostgresSteps}, {@link MariaDbSteps}, {@link H2Steps}), the failures it resolves contention by
 * ({@link TransientFailures}) and its DDL ({@link SchemaScript}). What is the same on every
 * database is written here once. Every operation is one statement (the acquisition of H2 adds a
 * look at the holder when it was refused; PostgreSQL's and MariaDB's take over a free row in one
 * statement and need a second to insert a missing row or name the holder, see {@link
 * PostgresStatements} and {@link MariaDbStatements}, though MariaDB on a connection with auto-commit
 * off runs only the second; on
 * H2, a statement that may wait for a row lock is preceded by one that takes it, see {@link
 * RowLockFirst}). Statements are prepared and ids are bound as bytes, never spliced into SQL (V1);
 * only the checked table name is.
 *
 * <p>Expiry is always compared with the database's clock (E3), and a statement that may wait for
 * the row's lock judges it by that clock once it holds the lock, never by a reading from before the
 * wait: otherwise one that waited past an expiry would still see the lease live (PostgreSQL's
 * acquisition and release reach the same by other means, see {@link PostgresStatements}). A row that is released or
 * expires stays in the table until {@link #reap} deletes it well after its lease ended. Keeping it
 * is what makes the fencing token safe: an acquisition's {@code INSERT} draws its token before it
 * finds out whether the row exists, so it could carry a smaller token than a takeover that ran
 * meanwhile if that takeover's row could vanish before the insert lands. With free rows kept for
 * {@code dlm.jdbc.retention}, which is many operation timeouts, no statement lives that long; every
 * later acquisition of a kept row is an update that draws its token once it has the row's latest
 * version, and draws again if another takeover commits first (F1).
 *
 * <p>The reaper finds rows by {@code reap_from}, not by {@code expires_at}: a time no later than
 * {@code expires_at} (for a tombstone, than the moment it may go), indexed, and written only when
 * it must move. An acquisition only pushes {@code expires_at} forward, and a release pulls it back
 * to now, which is never before a {@code reap_from} that was once {@code expires_at} or the time
 * of an insert; so a pair of them writes no indexed column (on PostgreSQL the row is updated in
 * place, HOT, with no new index entry; on MariaDB no secondary index entry is written). The
 * release still takes the least of the two, for a row whose mark the reaper moved ahead to the
 * end of its lease. The reaper looks at rows whose mark is older than the retention: it deletes
 * those whose lease also ended that long ago, and moves the mark of the others to their {@code
 * expires_at}, so it meets a row held for longer than the retention once per retention plus
 * lease, not on every run (E4).
 *
 * <p>An undo that finds no live lease of its attempt leaves a tombstone (X5): it writes the client
 * and attempt into the free row (inserting a free row if there is none), with {@code lease_micros}
 * 0, which no lease has, and {@code expires_at} now, so that the row stays free. An acquisition
 * refuses to take a free row that carries its own client and attempt: the acquisition the undo was
 * for, if its statement reaches the database only after the undo (held up in the network, a
 * driver or a proxy on a connection other than the undo's), is refused instead of taking the
 * resource for a whole lease with nobody holding it. Any other acquisition takes the row as
 * before and draws its token then; the tombstone draws none (its row's token is the last lease's,
 * or 0 when it inserted the row, and is never handed out). The reaper keeps a tombstone for at
 * least {@link #TOMBSTONE_KEEP} after the undo, whatever the retention. A live lease of another
 * acquisition gets no tombstone: the late acquisition is refused while that lease lives, but takes
 * the row if it arrives after that lease ended.
 *
 * @param kind which database this is
 * @param table the lock table
 * @param sql the database's statements for the table
 * @param steps the steps the database takes its own way
 * @param transientFailures the failures after which a statement runs again
 * @param ddl the table's DDL
 */
record Dialect(
        Kind kind,
        TableName table,
        Statements sql,
        Steps steps,
        TransientFailures transientFailures,
        SchemaScript ddl) {

    /** The supported databases, as {@code dlm.jdbc.dialect} names them. */
    enum Kind {
        /** PostgreSQL 9.6 or later. */
        POSTGRESQL,
        /** MariaDB 10.5 or later. */
        MARIADB,
        /** H2 2.x. */
        H2;

        /**
         * The lower-case name used in settings and resource names.
         *
         * @return e.g. {@code postgresql}
         */
        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How many rows one run of the reaper deletes or moves at most. */
    static final int REAP_BATCH = 500;

    /**
     * How long the reaper keeps a tombstone after its undo at least: past the time a client's TCP
     * stack keeps retransmitting an unacknowledged request (Linux gives up after about 15.4 minutes
     * with the default {@code tcp_retries2} of 15), so that the acquisition a tombstone refuses
     * cannot come later than that from the network.
     */
    static final Duration TOMBSTONE_KEEP = Duration.ofMinutes(16);

    /** The {@code lease_micros} of a tombstone; a lease is at least one microsecond. */
    static final long TOMBSTONE_LEASE = 0;

    /**
     * Puts a dialect together from a database's statements for a table and the steps it takes its
     * own way; {@link #of} has the supported ones.
     *
     * @param kind the database
     * @param table the lock table
     * @param sql the database's statements for the table
     * @param steps the steps the database takes its own way
     */
    Dialect(Kind kind, TableName table, Statements sql, Steps steps) {
        this(kind, table, sql, steps, TransientFailures.of(kind), SchemaScript.of(kind, table));
    }

    /**
     * The dialect of a kind.
     *
     * @param kind the database
     * @param table the lock table
     * @return its dialect
     */
    static Dialect of(Kind kind, TableName table) {
        return switch (kind) {
            case POSTGRESQL -> PostgresSteps.dialect(table);
            case MARIADB -> MariaDbSteps.dialect(table);
            case H2 -> H2Steps.dialect(table);
        };
    }

    /**
     * Takes the resource if it has no row or its lease is over, drawing a new fencing token while
     * it holds the row; otherwise names the holder.
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the would-be holder in UTF-8
     * @param leaseMicros the lease length
     * @param attempt the runtime's id of this attempt, stored with a lease it makes (X5)
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the lease taken ({@link Holder#won}) or found; null when the resource turned out free,
     *     so that the runtime tries again at once
     * @throws SQLException on any failure of the database
     */
    @Nullable
    Holder acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        Steps.Acquire acquire = steps.acquire();
        return onRow(
                connection,
                key,
                budget,
                () -> acquire.acquire(connection, key, clientId, leaseMicros, attempt, budget));
    }

    /**
     * Ends a live lease of the client (U1, U2), of one acquisition unless the token is {@link
     * LockBackend#ANY_ACQUISITION} (K4): sets its expiry to now. On PostgreSQL it notifies the
     * waiters who marked the lease.
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the holder in UTF-8
     * @param fencingToken the lease's token, or {@link LockBackend#ANY_ACQUISITION}
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return whether a live lease of this client (and token) was ended
     * @throws SQLException on any failure of the database
     */
    boolean release(Connection connection, LockKey key, byte[] clientId, long fencingToken, StatementBudget budget)
            throws SQLException {
        Steps.Release release = steps.release();
        return onRow(connection, key, budget, () -> release.release(connection, key, clientId, fencingToken, budget));
    }

    /**
     * Undoes the acquisition made by the given attempt (X5), whether or not it has reached the
     * database yet: ends a live lease of the client that this attempt made, or, when the row is free
     * or absent, leaves a tombstone there so that this attempt's acquisition is refused if it comes
     * later (see the class comment). A live lease of another acquisition stays as it is. Judges the
     * row as it is once locked, like {@link #release}; waits for the row lock of an acquisition
     * still in progress on the row, and then sees what that one wrote.
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the would-be holder in UTF-8
     * @param attempt the id the failed acquisition was given
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return whether the row now stands for this attempt, ended or tombstone; false when a live
     *     lease of another acquisition stays
     * @throws SQLException on any failure of the database
     */
    boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        Steps.Undo undo = steps.undo();
        return onRow(connection, key, budget, () -> undo.undo(connection, key, clientId, attempt, budget));
    }

    /**
     * Resets the expiry of a live lease of the client, of one acquisition unless the token is
     * {@link LockBackend#ANY_ACQUISITION}, to now plus its lease length (H1, H2, K4).
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the holder in UTF-8
     * @param fencingToken the lease's token, or {@link LockBackend#ANY_ACQUISITION}
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return whether a live lease was extended
     * @throws SQLException on any failure of the database
     */
    boolean renew(Connection connection, LockKey key, byte[] clientId, long fencingToken, StatementBudget budget)
            throws SQLException {
        String renew = sql.renew();
        return onRow(
                connection,
                key,
                budget,
                () -> LeaseRows.updateOwned(connection, renew, key, clientId, budget, fencingToken, fencingToken));
    }

    /** Runs a step that may wait for the key's row lock after what must come before it (H2's lock). */
    private <T> T onRow(Connection connection, LockKey key, StatementBudget budget, Steps.Step<T> step)
            throws SQLException {
        return steps.rowLock().around(connection, key, budget, step);
    }

    /**
     * Renews many leases at once, each with the meaning of {@link #renew} (H1, H2, K1, K4, N7).
     *
     * @param connection a connection
     * @param keys the resources
     * @param clientIds the holders, as {@code keys}
     * @param fencingTokens the tokens, as {@code keys}
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the update count of each renewal, in the order of {@code keys}: {@code 1} renewed,
     *     {@code 0} refused, anything else unknown (a driver's bulk protocol may answer {@link
     *     java.sql.Statement#SUCCESS_NO_INFO})
     * @throws SQLException on any failure of the database
     */
    int[] renewAll(
            Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
            throws SQLException {
        return steps.renewBatch().renewAll(connection, keys, clientIds, fencingTokens, budget);
    }

    /**
     * Reads the live lease of a resource (I1).
     *
     * @param connection a connection
     * @param key the resource
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the holder, or null when the resource is free
     * @throws SQLException on any failure of the database
     */
    @Nullable
    Holder inspect(Connection connection, LockKey key, StatementBudget budget) throws SQLException {
        return LeaseRows.inspect(connection, sql.inspect(), key, budget);
    }

    /**
     * Lists the live leases whose resource id starts with {@code idPrefix} (O4), by the database's
     * clock like {@link #inspect}: a free row, an expired lease or a tombstone is never listed.
     *
     * @param connection a connection
     * @param idPrefix the start of the ids in UTF-8, possibly empty
     * @param limit how many rows to return at most
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the leases, in the byte order of their ids
     * @throws SQLException on any failure of the database
     */
    List<LiveLease> list(Connection connection, byte[] idPrefix, int limit, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.list(), budget)) {
            statement.setInt(1, idPrefix.length);
            statement.setBytes(2, idPrefix);
            statement.setInt(3, limit);
            List<LiveLease> leases = new ArrayList<>();
            try (ResultSet row = statement.executeQuery()) {
                while (row.next()) {
                    leases.add(new LiveLease(
                            row.getBytes(1), new Holder(row.getBytes(2), row.getLong(3), row.getLong(4))));
                }
            }
            return leases;
        }
    }

    /**
     * One row of {@link #list}.
     *
     * @param resourceId the id in UTF-8
     * @param holder who holds it, with what token, for how long yet
     */
    record LiveLease(byte[] resourceId, Holder holder) {}

    /**
     * One run of the reaper over at most {@link #REAP_BATCH} rows whose {@code reap_from} is older
     * than {@code retentionMicros} (E4): deletes those whose lease ended that long ago (tombstones
     * only once they are also older than {@link #TOMBSTONE_KEEP}), and moves the mark of the others
     * to where they may go. The index on {@code reap_from} makes its cost follow the number of such
     * rows.
     *
     * @param connection an auto-commit connection
     * @param retentionMicros how long a free row is kept
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return what it did
     * @throws SQLException on any failure of the database
     */
    Reaped reap(Connection connection, long retentionMicros, StatementBudget budget) throws SQLException {
        return steps.reap().reap(connection, retentionMicros, budget);
    }

    /**
     * How long a tombstone is kept at least, in microseconds, given the retention.
     *
     * @param retentionMicros how long a free row is kept
     * @return the larger of the two
     */
    static long tombstoneKeepMicros(long retentionMicros) {
        return Math.max(retentionMicros, TOMBSTONE_KEEP.toNanos() / 1_000);
    }

    /**
     * What one run of the reaper's statements did.
     *
     * @param deleted rows deleted
     * @param moved rows whose {@code reap_from} moved ahead, because they may not go yet
     * @param full whether the run stopped at its batch size, so that more rows may be due
     */
    record Reaped(int deleted, int moved, boolean full) {
        /**
         * A run that was full when it deleted or moved a whole batch.
         *
         * @param deleted rows deleted
         * @param moved rows whose {@code reap_from} moved ahead
         */
        Reaped(int deleted, int moved) {
            this(deleted, moved, deleted + moved >= REAP_BATCH);
        }
    }

    /**
     * Runs {@link Statements#check}, which fails unless the table, its sequence and its columns
     * exist.
     *
     * @param connection a connection
     * @param budget bounds each statement by what the operation has left of its timeout
     * @throws SQLException when they do not, or on any other failure of the database
     */
    void check(Connection connection, StatementBudget budget) throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.check(), budget)) {
            statement.executeQuery().close();
        }
    }

    /**
     * Whether the table still has the index on {@code expires_at} of tables made before {@code
     * reap_from} (see {@link TableName#expiryIndex()}).
     *
     * @param connection a connection
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return whether it exists
     * @throws SQLException on any failure of the database
     */
    boolean hasLegacyIndex(Connection connection, StatementBudget budget) throws SQLException {
        return hasIndex(connection, budget, table.expiryIndex());
    }

    /**
     * Whether the table has the index on {@code reap_from} that the reaper reads (E4).
     *
     * @param connection a connection
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return whether the index {@link TableName#reapIndex()} exists
     * @throws SQLException on any failure of the database
     */
    boolean hasReapIndex(Connection connection, StatementBudget budget) throws SQLException {
        return hasIndex(connection, budget, table.reapIndex());
    }

    private boolean hasIndex(Connection connection, StatementBudget budget, String index) throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.index(), budget)) {
            statement.setString(1, table.schema());
            statement.setString(2, table.unqualified());
            statement.setString(3, index);
            try (ResultSet row = statement.executeQuery()) {
                return row.next();
            }
        }
    }

    /**
     * The statement that drops the old index, for the operator to run.
     *
     * @return the SQL
     */
    String dropLegacyIndexSql() {
        return ddl.dropLegacyIndex();
    }

    /**
     * Tells whether a failure is the database resolving contention (deadlock, serialization
     * failure, lock wait), after which the same statement may simply run again: it was rolled back
     * whole.
     *
     * @param e the failure
     * @return whether to retry within the operation timeout
     */
    boolean isTransient(SQLException e) {
        return transientFailures.isTransient(e);
    }

    /**
     * The DDL that creates the table, its sequence and its reaper's index if missing, and adds
     * {@code reap_from} to a table made before it, from the resource {@code schema-<dialect>.sql}
     * that the docs publish.
     *
     * @return the statements, in order
     */
    List<String> schema() {
        return ddl.statements();
    }

    /**
     * The statements of {@link #schema()} that bring a table made before {@code reap_from} up to
     * date: the column and its index. They do nothing to a table that has them.
     *
     * @return the statements, in order
     */
    List<String> upgrade() {
        return ddl.upgrade();
    }
}
