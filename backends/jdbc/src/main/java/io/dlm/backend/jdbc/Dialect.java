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
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The SQL of one database for one lock table. Every operation is one statement (the acquisition
 * of H2 adds a look at the holder when it was refused; PostgreSQL's takes over a free row in one
 * statement and needs a second to insert a missing row or name the holder, see {@link
 * PostgresDialect}; on H2, a statement that may wait for a row lock is preceded by one that takes
 * it, see {@link H2Dialect}). Statements are prepared and ids are bound as bytes, never spliced into
 * SQL (V1); only the checked table name is.
 *
 * <p>Expiry is always compared with the database's clock (E3), and a statement that may wait for
 * the row's lock judges it by that clock once it holds the lock, never by a reading from before the
 * wait: otherwise one that waited past an expiry would still see the lease live (PostgreSQL's
 * acquisition and release reach the same by other means, see {@link PostgresDialect}). A row that is released or
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
 */
abstract class Dialect {

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
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the outcome
     * @throws SQLException on any failure of the database
     */
    abstract Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException;

    /**
     * Ends a live lease of the client (U1, U2), of one acquisition unless the token is {@link
     * LockBackend#ANY_ACQUISITION} (K4): sets its expiry to now.
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
        return endLease(connection, releaseSql(), key, clientId, budget, fencingToken, fencingToken);
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
    abstract boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException;

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
        return updateOwned(connection, renewSql(), key, clientId, budget, fencingToken, fencingToken);
    }

    /**
     * Renews many leases with {@link #renewSql()} run as one JDBC batch: one round trip, one
     * statement per lease, each with the meaning of {@link #renew} (H1, H2, K4).
     *
     * @param connection a connection
     * @param keys the resources
     * @param clientIds the holders, as {@code keys}
     * @param fencingTokens the tokens, as {@code keys}
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the driver's update count of each statement, in the order of {@code keys}: {@code 1}
     *     renewed, {@code 0} refused, anything else unknown (a driver's bulk protocol may answer
     *     {@link java.sql.Statement#SUCCESS_NO_INFO})
     * @throws SQLException on any failure of the database
     */
    int[] renewAll(
            Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(renewSql())) {
            budget.bound(statement);
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
            Connection connection, String sql, LockKey key, byte[] clientId, StatementBudget budget, long... conditions)
            throws SQLException {
        return updateOwned(connection, sql, key, clientId, budget, conditions);
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
        try (PreparedStatement statement = connection.prepareStatement(inspectSql())) {
            budget.bound(statement);
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
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the leases, in the byte order of their ids
     * @throws SQLException on any failure of the database
     */
    List<LiveLease> list(Connection connection, byte[] idPrefix, int limit, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(listSql())) {
            budget.bound(statement);
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
    abstract Reaped reap(Connection connection, long retentionMicros, StatementBudget budget) throws SQLException;

    /**
     * {@link #reap} for dialects without a statement that picks, deletes and updates at once
     * (MariaDB, H2), in three statements that each touch at most {@link #REAP_BATCH} rows: read the
     * keys of the rows whose mark is due, in the mark's order, without locking; delete those of them
     * that may go; move the mark of the others. The two writes find their rows by primary key, so
     * they lock only those rows: a range on {@code reap_from} would lock every row it passes, held
     * ones too (InnoDB), and a statement that counts only the rows it deletes may read the whole
     * table. Each write judges its rows again by their current version, so a row taken over or
     * released after the read is kept or moved, never deleted while it may still be needed (F1).
     *
     * @param connection an auto-commit connection
     * @param statements the dialect's three statements
     * @param retentionMicros how long a free row is kept
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return what the two writes did
     * @throws SQLException on any failure of the database
     */
    static Reaped reapByKeys(
            Connection connection, ReapStatements statements, long retentionMicros, StatementBudget budget)
            throws SQLException {
        long keepMicros = tombstoneKeepMicros(retentionMicros);
        List<byte[]> keys = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(statements.dueKeys())) {
            budget.bound(statement);
            statement.setLong(1, retentionMicros);
            statement.setInt(2, REAP_BATCH);
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    keys.add(rows.getBytes(1));
                }
            }
        }
        if (keys.isEmpty()) {
            return new Reaped(0, 0);
        }
        int deleted;
        try (PreparedStatement statement = connection.prepareStatement(statements.delete())) {
            budget.bound(statement);
            int next = setKeys(statement, 1, keys);
            statement.setLong(next, retentionMicros);
            statement.setLong(next + 1, keepMicros);
            deleted = statement.executeUpdate();
        }
        try (PreparedStatement statement = connection.prepareStatement(statements.moveMarks())) {
            budget.bound(statement);
            statement.setLong(1, keepMicros - retentionMicros);
            int next = setKeys(statement, 2, keys);
            statement.setLong(next, retentionMicros);
            statement.setLong(next + 1, retentionMicros);
            statement.setLong(next + 2, keepMicros);
            // A full read means more may be due, whatever the writes found.
            return new Reaped(deleted, statement.executeUpdate(), keys.size() >= REAP_BATCH);
        }
    }

    /**
     * Binds the keys to the {@link #REAP_BATCH} placeholders of {@link #keyList()}, repeating the
     * first for the places left over, which changes nothing in an {@code IN} list.
     *
     * @return the index of the next parameter
     */
    private static int setKeys(PreparedStatement statement, int first, List<byte[]> keys) throws SQLException {
        for (int i = 0; i < REAP_BATCH; i++) {
            statement.setBytes(first + i, keys.get(i < keys.size() ? i : 0));
        }
        return first + REAP_BATCH;
    }

    /**
     * An {@code IN} list of {@link #REAP_BATCH} placeholders, for {@link #reapByKeys}.
     *
     * @return {@code (?, ?, ..., ?)}
     */
    static String keyList() {
        return "(" + String.join(", ", Collections.nCopies(REAP_BATCH, "?")) + ")";
    }

    /**
     * The statements of {@link #reapByKeys}.
     *
     * @param dueKeys the keys of due rows in the mark's order: retention, batch size
     * @param delete deletes the listed rows that may go: {@link #keyList()}, retention, tombstone keep
     * @param moveMarks moves the listed due rows' marks: keep minus retention, {@link #keyList()},
     *     retention (due), retention and keep (gone)
     */
    record ReapStatements(String dueKeys, String delete, String moveMarks) {}

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
     * A statement that fails unless the table and its sequence exist, and changes nothing. It
     * names {@code attempt_id} and {@code reap_from}, so that a table made before those columns
     * fails here, at open.
     *
     * @return the SQL
     */
    abstract String checkSql();

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
        try (PreparedStatement statement = connection.prepareStatement(indexSql())) {
            budget.bound(statement);
            statement.setString(1, tableSchema());
            statement.setString(2, unqualifiedTable());
            statement.setString(3, index);
            try (ResultSet row = statement.executeQuery()) {
                return row.next();
            }
        }
    }

    /**
     * A query that returns a row when the index exists: parameters the table's schema (null for
     * the connection's current one), its unqualified name and the index name, as written in the
     * settings (each database folds them as it does unquoted names).
     *
     * @return the SQL
     */
    abstract String indexSql();

    /**
     * The statement that drops the old index, for the operator to run.
     *
     * @return the SQL
     */
    abstract String dropLegacyIndexSql();

    /** The schema part of the table name, or null. */
    final @Nullable String tableSchema() {
        int dot = table.name().indexOf('.');
        return dot < 0 ? null : table.name().substring(0, dot);
    }

    /** The table name without its schema. */
    final String unqualifiedTable() {
        return table.name().substring(table.name().indexOf('.') + 1);
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
        String state = e.getSQLState();
        return state != null && state.startsWith("40");
    }

    /**
     * The DDL that creates the table, its sequence and its reaper's index if missing, and adds
     * {@code reap_from} to a table made before it, from the resource {@code schema-<dialect>.sql}
     * that the docs publish.
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
     * The statements of {@link #schema()} that bring a table made before {@code reap_from} up to
     * date: the column and its index. They do nothing to a table that has them.
     *
     * @return the statements, in order
     */
    List<String> upgrade() {
        return schema().stream()
                .filter(ddl -> ddl.startsWith("ALTER TABLE") || ddl.startsWith("CREATE INDEX"))
                .map(ddl -> ddl.replaceAll("\\s+", " "))
                .toList();
    }

    /**
     * The names the schema resource's placeholders stand for.
     *
     * @return {@code table}, {@code sequence} and {@code index}
     */
    Map<String, String> schemaNames() {
        return Map.of("table", table.name(), "sequence", table.sequence(), "index", table.reapIndex());
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

    /** Substitutes the table and sequence names into a statement template. */
    final String sql(String template) {
        return template.replace("{table}", table.name()).replace("{sequence}", table.sequence());
    }

    private static boolean updateOwned(
            Connection connection, String sql, LockKey key, byte[] clientId, StatementBudget budget, long... conditions)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            budget.bound(statement);
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
