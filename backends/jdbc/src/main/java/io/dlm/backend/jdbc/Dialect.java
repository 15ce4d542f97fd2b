package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of one database for one lock table. Every operation is one statement (the acquisition
 * of H2 and, under contention, of PostgreSQL add a look at the holder when the first answer cannot
 * name it; on H2, a statement that may wait for a row lock is preceded by one that takes it, see
 * {@link H2Dialect}). Statements are prepared and ids are bound as bytes, never spliced into SQL
 * (V1); only the checked table name is.
 *
 * <p>Expiry is always compared with the database's clock (E3), and a statement that may wait for
 * the row's lock reads that clock once it holds the lock, never at its start: otherwise one that
 * waited past an expiry would still see the lease live. A row that is released or
 * expires stays in the table until {@link #reap} deletes it well after its lease ended. Keeping it
 * is what makes the fencing token safe: an acquisition's {@code INSERT} draws its token before it
 * finds out whether the row exists, so it could carry a smaller token than a takeover that ran
 * meanwhile if that takeover's row could vanish before the insert lands. With free rows kept for
 * {@code dlm.jdbc.retention}, which is many operation timeouts, no statement lives that long; every
 * later acquisition of a kept row is an update that draws its token under the row lock (F1).
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
 */
abstract class Dialect {

    /** The supported databases, as {@code dlm.jdbc.dialect} names them. */
    enum Kind {
        /** PostgreSQL 9.5 or later. */
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

    /** How many expired rows one reaper statement deletes at most. */
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

    final TableName table;

    Dialect(TableName table) {
        this.table = table;
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
            case POSTGRESQL -> new PostgresDialect(table);
            case MARIADB -> new MariaDbDialect(table);
            case H2 -> new H2Dialect(table);
        };
    }

    /**
     * Which database this is.
     *
     * @return the kind
     */
    abstract Kind kind();

    /**
     * Takes the resource if it has no row or its lease is over, drawing a new fencing token while
     * it holds the row; otherwise reports the holder.
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the would-be holder in UTF-8
     * @param leaseMicros the lease length
     * @param attempt the runtime's id of this attempt, stored with a lease it makes (X5)
     * @param timeoutSeconds the query timeout
     * @return the outcome
     * @throws SQLException on any failure of the database
     */
    abstract Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, int timeoutSeconds)
            throws SQLException;

    /**
     * Ends a live lease of the client (U1, U2), of one acquisition unless the token is {@link
     * LockBackend#ANY_ACQUISITION} (K4): sets its expiry to now.
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the holder in UTF-8
     * @param fencingToken the lease's token, or {@link LockBackend#ANY_ACQUISITION}
     * @param timeoutSeconds the query timeout
     * @return whether a live lease of this client (and token) was ended
     * @throws SQLException on any failure of the database
     */
    boolean release(Connection connection, LockKey key, byte[] clientId, long fencingToken, int timeoutSeconds)
            throws SQLException {
        return endLease(connection, releaseSql(), key, clientId, timeoutSeconds, fencingToken, fencingToken);
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
     * @param timeoutSeconds the query timeout
     * @return whether the row now stands for this attempt, ended or tombstone; false when a live
     *     lease of another acquisition stays
     * @throws SQLException on any failure of the database
     */
    abstract boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, int timeoutSeconds)
            throws SQLException;

    /**
     * Resets the expiry of a live lease of the client, of one acquisition unless the token is
     * {@link LockBackend#ANY_ACQUISITION}, to now plus its lease length (H1, H2, K4).
     *
     * @param connection an auto-commit connection
     * @param key the resource
     * @param clientId the holder in UTF-8
     * @param fencingToken the lease's token, or {@link LockBackend#ANY_ACQUISITION}
     * @param timeoutSeconds the query timeout
     * @return whether a live lease was extended
     * @throws SQLException on any failure of the database
     */
    boolean renew(Connection connection, LockKey key, byte[] clientId, long fencingToken, int timeoutSeconds)
            throws SQLException {
        return updateOwned(connection, renewSql(), key, clientId, timeoutSeconds, fencingToken, fencingToken);
    }

    /**
     * Renews many leases with {@link #renewSql()} run as one JDBC batch: one round trip, one
     * statement per lease, each with the meaning of {@link #renew} (H1, H2, K4).
     *
     * @param connection a connection
     * @param keys the resources
     * @param clientIds the holders, as {@code keys}
     * @param fencingTokens the tokens, as {@code keys}
     * @param timeoutSeconds the query timeout
     * @return the driver's update count of each statement, in the order of {@code keys}: {@code 1}
     *     renewed, {@code 0} refused, anything else unknown (a driver's bulk protocol may answer
     *     {@link java.sql.Statement#SUCCESS_NO_INFO})
     * @throws SQLException on any failure of the database
     */
    int[] renewAll(Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, int timeoutSeconds)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(renewSql())) {
            statement.setQueryTimeout(timeoutSeconds);
            for (int i = 0; i < keys.length; i++) {
                bindOwned(statement, keys[i], clientIds[i], fencingTokens[i], fencingTokens[i]);
                statement.addBatch();
            }
            return statement.executeBatch();
        }
    }

    /**
     * Runs a statement that ends a lease, {@link #releaseSql()}, whose parameters are the key, the
     * client and then {@code conditions}. PostgreSQL adds the
     * notification of waiters.
     *
     * @return whether a lease was ended
     * @throws SQLException on any failure of the database
     */
    boolean endLease(
            Connection connection, String sql, LockKey key, byte[] clientId, int timeoutSeconds, long... conditions)
            throws SQLException {
        return updateOwned(connection, sql, key, clientId, timeoutSeconds, conditions);
    }

    /**
     * Reads the live lease of a resource (I1).
     *
     * @param connection a connection
     * @param key the resource
     * @param timeoutSeconds the query timeout
     * @return the holder, or null when the resource is free
     * @throws SQLException on any failure of the database
     */
    @Nullable
    Holder inspect(Connection connection, LockKey key, int timeoutSeconds) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(inspectSql())) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setBytes(1, key.hash());
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? new Holder(row.getBytes(1), row.getLong(2), row.getLong(3)) : null;
            }
        }
    }

    /**
     * Lists the live leases whose resource id starts with {@code idPrefix} (O4), by the database's
     * clock like {@link #inspect}: a free row, an expired lease or a tombstone is never listed.
     *
     * @param connection a connection
     * @param idPrefix the start of the ids in UTF-8, possibly empty
     * @param limit how many rows to return at most
     * @param timeoutSeconds the query timeout
     * @return the leases, in the byte order of their ids
     * @throws SQLException on any failure of the database
     */
    List<LiveLease> list(Connection connection, byte[] idPrefix, int limit, int timeoutSeconds) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(listSql())) {
            statement.setQueryTimeout(timeoutSeconds);
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
     * Deletes up to {@link #REAP_BATCH} rows whose lease ended more than {@code retentionMicros}
     * ago (E4), tombstones only once they are also older than {@link #TOMBSTONE_KEEP}. The expiry
     * index makes its cost follow the number of such rows.
     *
     * @param connection an auto-commit connection
     * @param retentionMicros how long a free row is kept
     * @param timeoutSeconds the query timeout
     * @return how many rows were deleted
     * @throws SQLException on any failure of the database
     */
    int reap(Connection connection, long retentionMicros, int timeoutSeconds) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(reapSql())) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setLong(1, retentionMicros);
            statement.setLong(2, Math.max(retentionMicros, TOMBSTONE_KEEP.toNanos() / 1_000));
            statement.setInt(3, REAP_BATCH);
            return statement.executeUpdate();
        }
    }

    /**
     * A statement that fails unless the table and its sequence exist, and changes nothing. It
     * names {@code attempt_id}, so that a table made before that column fails here, at open.
     *
     * @return the SQL
     */
    abstract String checkSql();

    /**
     * Tells whether a failure is the database resolving contention (deadlock, serialization
     * failure, lock wait), after which the same statement may simply run again: it was rolled back
     * whole.
     *
     * @param e the failure
     * @return whether to retry within the operation timeout
     */
    boolean isTransient(SQLException e) {
        String state = e.getSQLState();
        return state != null && state.startsWith("40");
    }

    /**
     * The DDL that creates the table, its sequence and its expiry index if missing, from the
     * resource {@code schema-<dialect>.sql} that the docs publish.
     *
     * @return the statements, in order
     */
    List<String> schema() {
        String resource = "schema-" + kind().id() + ".sql";
        String script;
        try (InputStream in = Dialect.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("Missing resource " + resource + " beside " + Dialect.class);
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Map.Entry<String, String> name : schemaNames().entrySet()) {
            script = script.replace("${" + name.getKey() + "}", name.getValue());
        }
        List<String> statements = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : script.split("\n", -1)) {
            String trimmed = line.strip();
            if (trimmed.startsWith("--") || trimmed.isEmpty()) {
                continue;
            }
            current.append(line).append('\n');
            if (trimmed.endsWith(";")) {
                String statement = current.toString().strip();
                statements.add(statement.substring(0, statement.length() - 1));
                current.setLength(0);
            }
        }
        return statements;
    }

    /**
     * The names the schema resource's placeholders stand for.
     *
     * @return {@code table}, {@code sequence} and {@code index}
     */
    Map<String, String> schemaNames() {
        return Map.of("table", table.name(), "sequence", table.sequence(), "index", table.expiryIndex());
    }

    /**
     * The release: parameters key, client, then the token twice ({@code (? = 0 OR fencing_token =
     * ?)}, 0 being {@link LockBackend#ANY_ACQUISITION}).
     */
    abstract String releaseSql();

    /** The renewal: parameters key, client, then the token twice, as {@link #releaseSql()}. */
    abstract String renewSql();

    abstract String inspectSql();

    /**
     * The listing of live leases: parameters the length of the id prefix in bytes, the prefix, and
     * the limit; columns resource, client, token and remaining microseconds, ordered by resource.
     */
    abstract String listSql();

    /**
     * The reaper's delete: parameters the retention and the tombstones' keep in microseconds, then
     * the batch size; a row whose {@code lease_micros} is {@link #TOMBSTONE_LEASE} must be older
     * than the keep.
     */
    abstract String reapSql();

    /** Substitutes the table and sequence names into a statement template. */
    final String sql(String template) {
        return template.replace("{table}", table.name()).replace("{sequence}", table.sequence());
    }

    private static boolean updateOwned(
            Connection connection, String sql, LockKey key, byte[] clientId, int timeoutSeconds, long... conditions)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setQueryTimeout(timeoutSeconds);
            bindOwned(statement, key, clientId, conditions);
            return statement.executeUpdate() == 1;
        }
    }

    /**
     * Binds the key, the client and the conditions of a statement on a client's lease.
     *
     * @return the index of the next parameter
     */
    static int bindOwned(PreparedStatement statement, LockKey key, byte[] clientId, long... conditions)
            throws SQLException {
        statement.setBytes(1, key.hash());
        statement.setBytes(2, clientId);
        int index = 3;
        for (long condition : conditions) {
            statement.setLong(index++, condition);
        }
        return index;
    }
}
