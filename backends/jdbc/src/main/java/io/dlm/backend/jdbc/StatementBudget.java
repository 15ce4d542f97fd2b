package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * What one operation has left of its {@code dlm.operation.timeout}, handed to each of its
 * statements in turn (X1). Every statement is bounded by the time left when it starts, never by the
 * whole timeout: against a database that answers each statement just inside the timeout, an
 * operation of several statements (a contended PostgreSQL acquisition runs up to four) would
 * otherwise take one timeout per statement.
 *
 * <p>The bound is the socket's network timeout, set again before each statement, so every wait for
 * an answer ends by the operation's deadline; statements get the driver's query timeout too unless
 * the server ends them after the operation timeout by itself (see {@link SqlExecutor}).
 */
final class StatementBudget {

    /** setNetworkTimeout wants an executor for its abort; the drivers we know close the socket inline. */
    private static final Executor INLINE = Runnable::run;

    private final Connection connection;
    private final long deadline;
    private final boolean boundsSocket;
    private final boolean setsQueryTimeouts;

    /**
     * Creates the budget of one operation on one connection.
     *
     * @param connection the operation's connection
     * @param deadline the {@link System#nanoTime()} by which the operation must end
     * @param boundsSocket whether the connection takes a network timeout
     * @param setsQueryTimeouts whether statements need the driver's query timeout
     */
    StatementBudget(Connection connection, long deadline, boolean boundsSocket, boolean setsQueryTimeouts) {
        this.connection = connection;
        this.deadline = deadline;
        this.boundsSocket = boundsSocket;
        this.setsQueryTimeouts = setsQueryTimeouts;
    }

    /**
     * Bounds the next statement by what is left.
     *
     * @param statement the statement about to run
     * @throws SQLTimeoutException when nothing is left, so the statement is not sent
     * @throws SQLException when the driver refuses the bound
     */
    void bound(Statement statement) throws SQLException {
        long left = left();
        boundSocket(left);
        if (setsQueryTimeouts) {
            statement.setQueryTimeout(SqlExecutor.timeoutSeconds(left));
        }
    }

    /**
     * Bounds the commit that ends the operation by what is left.
     *
     * @throws SQLTimeoutException when nothing is left
     * @throws SQLException when the driver refuses the bound
     */
    void boundCommit() throws SQLException {
        boundSocket(left());
    }

    /**
     * Bounds a rollback after a failure by what is left, or by a millisecond when nothing is: a
     * rollback that cannot finish in time breaks the connection at its socket, and the server then
     * rolls the transaction back itself, so the failure is still reported within the operation's
     * bound (X1) and no transaction stays open (X4).
     *
     * @throws SQLException when the driver refuses the bound
     */
    void boundRollback() throws SQLException {
        boundSocket(Math.max(1, deadline - System.nanoTime()));
    }

    /**
     * What is left in whole seconds, rounded up, for a bound the statement carries in its own text.
     *
     * @return at least 1
     * @throws SQLTimeoutException when nothing is left
     */
    int seconds() throws SQLTimeoutException {
        return SqlExecutor.timeoutSeconds(left());
    }

    private long left() throws SQLTimeoutException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new SQLTimeoutException("the operation's time is up before its next statement");
        }
        return left;
    }

    private void boundSocket(long leftNanos) throws SQLException {
        if (boundsSocket) {
            long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(leftNanos + 999_999));
            connection.setNetworkTimeout(INLINE, (int) Math.min(Integer.MAX_VALUE, millis));
        }
    }
}
