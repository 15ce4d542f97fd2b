package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * MariaDB 10.5 or later: {@code INSERT ... ON DUPLICATE KEY UPDATE} whose assignments each apply
 * only when the existing lease is over, with {@code RETURNING} (10.5) to read the row back.
 *
 * <p>Whether the statement won is read from the sequence, not from affected-row counts (which
 * depend on the connection's {@code useAffectedRows} flag): the statement always draws a token in
 * its {@code VALUES}, and draws another when it takes over a row, so the row carries this
 * session's {@code PREVIOUS VALUE FOR} the sequence exactly when this statement wrote it. Tokens are
 * never reused, so a holder's token cannot be equal to it.
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
 * <p>The takeover's five assignments must agree on one decision, while {@code SYSDATE} moves between
 * them: the first stores whether the lease is over (and the row is not this attempt's tombstone,
 * see {@link Dialect}) in the session variable {@code @dlm_expired},
 * and the others read it (MariaDB applies the assignments left to right; the variable is only read
 * by the statement that has just set it). A statement that reads without waiting ({@code inspect})
 * keeps the start time; so does the reaper, whose range on the index of {@code reap_from} needs a
 * constant, and which at worst deletes a row one statement later. Ids are {@code VARBINARY}, compared byte for
 * byte (no collation, no trailing-space rule).
 */
final class MariaDbDialect extends Dialect {

    /** Prefixes a statement that reads {@link #NOW}, so that it reads UTC. */
    private static final String IN_UTC = "SET STATEMENT time_zone = '+00:00' FOR ";

    /** The database's time when the expression is evaluated (after the row lock), in UTC under {@link #IN_UTC}. */
    private static final String NOW = "SYSDATE(6)";

    private static final String TAKE_OVER = "@dlm_expired";

    private final String acquire =
            sql(IN_UTC + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token, lease_micros,"
                    + " expires_at, attempt_id, reap_from) VALUES (?, ?, ?, NEXT VALUE FOR {sequence}, ?,"
                    + " " + NOW + " + INTERVAL ? MICROSECOND, ?, " + NOW + ")"
                    + " ON DUPLICATE KEY UPDATE"
                    + " client_id = IF((" + TAKE_OVER + " := (expires_at <= " + NOW + " AND NOT (client_id ="
                    + " VALUES(client_id) AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
                    + " fencing_token = IF(" + TAKE_OVER + ", NEXT VALUE FOR {sequence}, fencing_token),"
                    + " lease_micros = IF(" + TAKE_OVER + ", VALUES(lease_micros), lease_micros),"
                    + " attempt_id = IF(" + TAKE_OVER + ", VALUES(attempt_id), attempt_id),"
                    + " expires_at = IF(" + TAKE_OVER + ", " + NOW + " + INTERVAL VALUES(lease_micros) MICROSECOND,"
                    + " expires_at)"
                    + " RETURNING fencing_token, PREVIOUS VALUE FOR {sequence}, client_id,"
                    + " TIMESTAMPDIFF(MICROSECOND, " + NOW + ", expires_at), attempt_id");

    private static final String TOKEN = "(? = 0 OR fencing_token = ?)";

    // reap_from reads the expires_at just assigned (left to right), and is left as it is unless the
    // reaper moved it past now, so that no secondary index entry is written.
    private final String release = sql(IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + ", reap_from = LEAST(reap_from, expires_at)"
            + " WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    private static final String UNDONE = "@dlm_undone";

    /*
     * Inserts the tombstone, or, on the existing row once locked, ends this attempt's lease or turns
     * the free row into its tombstone; a live lease of another acquisition keeps every column. The
     * decision is taken once, in the first assignment, as the acquisition's is.
     */
    private final String undo = sql(IN_UTC + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token,"
            + " lease_micros, expires_at, attempt_id, reap_from) VALUES (?, ?, ?, 0, " + TOMBSTONE_LEASE + ", " + NOW
            + ", ?, " + NOW + ")"
            + " ON DUPLICATE KEY UPDATE"
            + " client_id = IF((" + UNDONE + " := (expires_at <= " + NOW + " OR (client_id = VALUES(client_id)"
            + " AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
            + " attempt_id = IF(" + UNDONE + ", VALUES(attempt_id), attempt_id),"
            + " lease_micros = IF(" + UNDONE + ", " + TOMBSTONE_LEASE + ", lease_micros),"
            + " expires_at = IF(" + UNDONE + ", " + NOW + ", expires_at),"
            + " reap_from = IF(" + UNDONE + ", LEAST(reap_from, expires_at), reap_from)"
            + " RETURNING client_id, attempt_id");

    private final String renew = sql(IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + " + INTERVAL lease_micros MICROSECOND WHERE lock_key = ? AND client_id = ? AND " + TOKEN
            + " AND expires_at > " + NOW);

    private final String inspect = sql("SELECT client_id, fencing_token,"
            + " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) FROM {table}"
            + " WHERE lock_key = ? AND expires_at > UTC_TIMESTAMP(6)");

    private final String list = sql("SELECT resource_id, client_id, fencing_token,"
            + " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) FROM {table}"
            + " WHERE expires_at > UTC_TIMESTAMP(6) AND LEFT(resource_id, ?) = ? ORDER BY resource_id LIMIT ?");

    /** A row whose lease ended a retention ago (parameter 1), or a tombstone its keep ago (2). */
    private static final String GONE = "expires_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND AND (lease_micros <> "
            + TOMBSTONE_LEASE + " OR expires_at < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND)";

    /** Rows whose mark is older than the retention (parameter 1), in the mark's order. */
    private static final String DUE = " reap_from < UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND";

    // The reaper's statements (see Dialect.reapByKeys). The statement start's time suffices: a
    // row that comes due during a run is handled by the next.
    private final ReapStatements reap = new ReapStatements(
            sql("SELECT lock_key FROM {table} WHERE" + DUE + " ORDER BY reap_from LIMIT ?"),
            sql("DELETE FROM {table} WHERE lock_key IN " + keyList() + " AND " + GONE),
            sql("UPDATE {table} SET reap_from = IF(lease_micros = " + TOMBSTONE_LEASE
                    + ", expires_at + INTERVAL ? MICROSECOND, expires_at) WHERE lock_key IN " + keyList() + " AND"
                    + DUE + " AND NOT (" + GONE + ")"));

    MariaDbDialect(TableName table) {
        super(table);
    }

    @Override
    Kind kind() {
        return Kind.MARIADB;
    }

    @Override
    Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(acquire)) {
            budget.bound(statement);
            statement.setBytes(1, key.hash());
            statement.setBytes(2, key.id());
            statement.setBytes(3, clientId);
            statement.setLong(4, leaseMicros);
            statement.setLong(5, leaseMicros);
            statement.setLong(6, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("INSERT ... RETURNING returned no row");
                }
                long token = row.getLong(1);
                if (token == row.getLong(2)) {
                    return Acquisition.acquired(token);
                }
                if (row.getLong(5) == attempt && !row.wasNull()) {
                    // This attempt's tombstone: its undo came first. The resource is free.
                    return Acquisition.held(1);
                }
                return new Holder(row.getBytes(3), token, row.getLong(4)).refuse(clientId);
            }
        }
    }

    @Override
    boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(undo)) {
            budget.bound(statement);
            statement.setBytes(1, key.hash());
            statement.setBytes(2, key.id());
            statement.setBytes(3, clientId);
            statement.setLong(4, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("INSERT ... RETURNING returned no row");
                }
                return Arrays.equals(row.getBytes(1), clientId) && row.getLong(2) == attempt && !row.wasNull();
            }
        }
    }

    /**
     * The renewal statement with a batch's values written in: hex literals for the ids, digits for
     * the token, so nothing from outside is ever read as SQL. Split once at its parameters (key,
     * client, token, token).
     */
    private final String[] renewParts = renew.split("\\?", -1);

    /** {@link #IN_UTC} with a bound on the statement's time, whose seconds and {@code FOR} follow. */
    private static final String BOUNDED_IN_UTC = "SET STATEMENT time_zone = '+00:00', max_statement_time = ";

    /**
     * Renews many leases in one transaction, sent as one pipelined text batch, still one round
     * trip. A prepared statement's batch commits each statement on its own, and InnoDB's durable
     * commits were most of a batch's time on the server (about 40 ms of 45 for 256 renewals,
     * against 7 ms in one transaction): enough to fall behind N7's 3,000 renewals a second on a
     * host with any other load.
     *
     * <p>A transaction spanning statements holds the rows it renewed until its {@code COMMIT}, so
     * it is kept short in every case:
     *
     * <ul>
     *   <li>each renewal statement gives up after the operation's time left ({@code SET STATEMENT
     *       max_statement_time}; the driver's query timeout does not reach the statements of a
     *       text batch), so a row locked by another transaction holds the batch's earlier rows for
     *       no longer than that. DLM's own statements lock a row for microseconds; only a foreign
     *       transaction can hold one longer, and then the leases renewed before it in its batch
     *       wait for it too, which a batch of statements committed one by one would not do (K1).
     *   <li>the batch first bounds, for this session, how long the server waits for the next
     *       statement inside a transaction ({@code idle_transaction_timeout}) and for the rest of a
     *       statement's packet ({@code net_read_timeout}), and puts the session's own values back
     *       after the {@code COMMIT}: a batch cut off mid-way by the network, its first statements
     *       delivered and the rest lost, is rolled back by the server within that time.
     * </ul>
     *
     * <p>The driver sends the whole batch before it reads an answer, so the server runs every
     * statement even after one failed: the others are committed, and the batch is reported failed
     * (its leases count as not renewed, which only errs on the safe side, K2). If the failure left a
     * transaction open, it is rolled back here. The statements lock their rows in the order of
     * their keys (see {@link JdbcLockBackend}), so two batches never deadlock each other. Each
     * statement still judges expiry once its row is locked (H2).
     */
    @Override
    int[] renewAll(
            Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
            throws SQLException {
        try (Statement statement = connection.createStatement()) {
            budget.bound(statement);
            // The batch's own bounds, written into its text: what the operation has left.
            int seconds = budget.seconds();
            // Saved unless an earlier batch that failed before it restored them saved them already.
            statement.addBatch(
                    "SET @dlm_idle = " + numeric("IFNULL(@dlm_idle, @@session.idle_transaction_timeout)") + ","
                            + " @dlm_net_read = " + numeric("IFNULL(@dlm_net_read, @@session.net_read_timeout)") + ","
                            + " @@session.idle_transaction_timeout = " + seconds + ","
                            + " @@session.net_read_timeout = " + seconds);
            statement.addBatch("START TRANSACTION");
            for (int i = 0; i < keys.length; i++) {
                statement.addBatch(renewText(keys[i], clientIds[i], fencingTokens[i], seconds));
            }
            statement.addBatch("COMMIT");
            statement.addBatch(RESTORE_TIMEOUTS);
            int[] counts = statement.executeBatch();
            if (counts.length != keys.length + BATCH_FRAME) {
                throw new SQLException("the driver answered " + counts.length + " update counts for a batch of "
                        + (keys.length + BATCH_FRAME) + " statements");
            }
            return Arrays.copyOfRange(counts, 2, 2 + keys.length);
        } catch (SQLException | RuntimeException e) {
            rollBack(connection, budget, e);
            throw e;
        }
    }

    /** The statements of a renewal batch around its renewals: two before, two after. */
    private static final int BATCH_FRAME = 4;

    /** Puts back the session's own timeouts (kept if the batch failed before it saved them) and forgets them. */
    private static final String RESTORE_TIMEOUTS = "SET @@session.idle_transaction_timeout = "
            + numeric("IFNULL(@dlm_idle, @@session.idle_transaction_timeout)") + ","
            + " @@session.net_read_timeout = " + numeric("IFNULL(@dlm_net_read, @@session.net_read_timeout)") + ","
            + " @dlm_idle = NULL, @dlm_net_read = NULL";

    /** A user variable never set, or set to NULL, reads as text: the timeouts take only numbers. */
    private static String numeric(String expression) {
        return "CAST(" + expression + " AS UNSIGNED)";
    }

    /**
     * Ends whatever is left of a failed batch's transaction and puts the session's timeouts back,
     * unless the connection is gone (then the server rolls the transaction back itself, see
     * above). Both are bounded by what the operation has left, so that a failed batch is still
     * reported in time (X1).
     */
    private static void rollBack(Connection connection, StatementBudget budget, Exception failure) {
        for (String sql : new String[] {"ROLLBACK", RESTORE_TIMEOUTS}) {
            try {
                if (connection.isClosed()) {
                    return;
                }
                budget.boundRollback();
                try (Statement statement = connection.createStatement()) {
                    statement.execute(sql);
                }
            } catch (SQLException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private String renewText(LockKey key, byte[] clientId, long fencingToken, int timeoutSeconds) {
        String[] values = {hex(key.hash()), hex(clientId), Long.toString(fencingToken), Long.toString(fencingToken)};
        StringBuilder text = new StringBuilder(renew.length() + 200)
                .append(BOUNDED_IN_UTC)
                .append(timeoutSeconds)
                .append(" FOR ")
                .append(renewParts[0], IN_UTC.length(), renewParts[0].length());
        for (int i = 0; i < values.length; i++) {
            text.append(values[i]).append(renewParts[i + 1]);
        }
        return text.toString();
    }

    private static String hex(byte[] bytes) {
        // X'' is the empty byte string, which a client id never is; the key is a fixed-size hash.
        return "X'" + HexFormat.of().formatHex(bytes) + "'";
    }

    @Override
    String checkSql() {
        return sql("SELECT NEXT VALUE FOR {sequence}, attempt_id, reap_from FROM {table} WHERE 1 = 0");
    }

    @Override
    String indexSql() {
        return "SELECT 1 FROM information_schema.statistics WHERE table_schema = COALESCE(?, DATABASE())"
                + " AND table_name = ? AND index_name = ?";
    }

    @Override
    String dropLegacyIndexSql() {
        return "ALTER TABLE " + table.name() + " DROP INDEX " + table.expiryIndex();
    }

    @Override
    boolean isTransient(SQLException e) {
        // 1213 deadlock (40001), 1205 lock wait timeout, 1020 record changed (snapshot isolation).
        int code = e.getErrorCode();
        return super.isTransient(e) || code == 1205 || code == 1213 || code == 1020;
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
    Reaped reap(Connection connection, long retentionMicros, StatementBudget budget) throws SQLException {
        return reapByKeys(connection, reap, retentionMicros, budget);
    }
}
