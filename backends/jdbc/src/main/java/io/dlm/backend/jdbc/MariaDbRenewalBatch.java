package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * MariaDB's renewal of many leases (K1, N7): in one transaction, sent as one pipelined text batch,
 * still one round trip. A prepared statement's batch commits each statement on its own, and
 * InnoDB's durable commits were most of a batch's time on the server (about 40 ms of 45 for 256
 * renewals, against 7 ms in one transaction): enough to fall behind N7's 3,000 renewals a second
 * on a host with any other load.
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
final class MariaDbRenewalBatch implements Steps.RenewBatch {

    /** {@link MariaDbStatements#IN_UTC} with a bound on the statement's time, whose seconds and {@code FOR} follow. */
    private static final String BOUNDED_IN_UTC = "SET STATEMENT time_zone = '+00:00', max_statement_time = ";

    /** The statements of a renewal batch around its renewals: two before, two after. */
    private static final int BATCH_FRAME = 4;

    /** Puts back the session's own timeouts (kept if the batch failed before it saved them) and forgets them. */
    private static final String RESTORE_TIMEOUTS = "SET @@session.idle_transaction_timeout = "
            + numeric("IFNULL(@dlm_idle, @@session.idle_transaction_timeout)") + ","
            + " @@session.net_read_timeout = " + numeric("IFNULL(@dlm_net_read, @@session.net_read_timeout)") + ","
            + " @dlm_idle = NULL, @dlm_net_read = NULL";

    private final int renewLength;

    /**
     * The renewal statement with a batch's values written in: hex literals for the ids, digits for
     * the token, so nothing from outside is ever read as SQL. Split once at its parameters (key,
     * client, token, token).
     */
    private final String[] renewParts;

    /**
     * Creates the batch of a table.
     *
     * @param renew {@link Statements#renew}, which starts with {@link MariaDbStatements#IN_UTC}
     */
    MariaDbRenewalBatch(String renew) {
        this.renewLength = renew.length();
        this.renewParts = renew.split("\\?", -1);
    }

    @Override
    public int[] renewAll(
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
        StringBuilder text = new StringBuilder(renewLength + 200)
                .append(BOUNDED_IN_UTC)
                .append(timeoutSeconds)
                .append(" FOR ")
                .append(renewParts[0], MariaDbStatements.IN_UTC.length(), renewParts[0].length());
        for (int i = 0; i < values.length; i++) {
            text.append(values[i]).append(renewParts[i + 1]);
        }
        return text.toString();
    }

    private static String hex(byte[] bytes) {
        // X'' is the empty byte string, which a client id never is; the key is a fixed-size hash.
        return "X'" + HexFormat.of().formatHex(bytes) + "'";
    }
}
