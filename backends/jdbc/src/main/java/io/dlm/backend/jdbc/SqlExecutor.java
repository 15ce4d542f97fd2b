package io.dlm.backend.jdbc;

import io.dlm.LockError;
import io.dlm.LockException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * Runs one lock operation on a pooled connection within {@code dlm.operation.timeout} (X1): the
 * wait for a connection and every statement come out of one budget, each statement bounded by what
 * is left of it when it starts ({@link StatementBudget}), so that an operation of several
 * statements ends by its deadline too. A statement the database rolled back to resolve contention
 * (deadlock, serialization failure) runs again on the same connection while the budget lasts; any
 * other failure becomes
 * {@link LockException} with {@link LockError#INTERNAL_ERROR} and the {@link SQLException} as cause.
 *
 * <p>On DLM's own pool on PostgreSQL the server ends every statement after the operation timeout
 * ({@code statement_timeout}, set once per connection), and statements get no query timeout of the
 * driver's: pgjdbc arms a timer thread for each statement with one, and that thread's wake-ups were
 * about a third of the client's CPU for a lock and unlock. (DLM's own MariaDB pool sets {@code
 * max_statement_time} per connection too, beside the driver's query timeout: see {@link
 * Connections#serverBoundsStatements}.) The socket's network timeout bounds
 * every wait for an answer to what is left of the budget in either case; a query timeout of whole
 * seconds, rounded up, never fired before it anyway.
 *
 * <p>Statements run in auto-commit mode. A connection handed out with auto-commit off is committed
 * after each operation (and rolled back after a failure), so a lock never hides in an open
 * transaction; a connection enlisted in a container's JTA transaction refuses that, and the
 * failure says so.
 */
final class SqlExecutor {

    /** The body of an operation: prepares, binds and runs its statements on the connection. */
    @FunctionalInterface
    interface Work<T> {
        /**
         * Runs the operation.
         *
         * @param connection a connection of the pool
         * @param budget bounds each statement, before it runs, by what the operation has left
         * @return the result
         * @throws SQLException on any failure of the database
         */
        T run(Connection connection, StatementBudget budget) throws SQLException;
    }

    /** setNetworkTimeout wants an executor for its abort; the drivers we know close the socket inline. */
    private static final Executor INLINE = Runnable::run;

    private final DataSource dataSource;
    private final Dialect dialect;
    private final long timeoutNanos;
    private final boolean serverBoundsStatements;
    private volatile boolean networkTimeoutSupported = true;

    /**
     * Creates an executor.
     *
     * @param dataSource where connections come from
     * @param dialect tells which failures are transient
     * @param operationTimeout the budget of one operation
     * @param serverBoundsStatements whether every connection's server session ends statements
     *     after the operation timeout, so that statements are given no query timeout
     */
    SqlExecutor(DataSource dataSource, Dialect dialect, Duration operationTimeout, boolean serverBoundsStatements) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.timeoutNanos = operationTimeout.toNanos();
        this.serverBoundsStatements = serverBoundsStatements;
    }

    /**
     * Runs an operation within the operation timeout.
     *
     * @param operation what it does, for the message of a failure ({@code lock}, {@code unlock}, ...)
     * @param resourceId the resource it is about, for the message
     * @param work the statements
     * @return the result of {@code work}
     * @throws LockException {@code INTERNAL_ERROR} with the cause when the database fails or the
     *     time is up
     */
    <T> T execute(String operation, String resourceId, Work<T> work) {
        return execute(operation, resourceId, System.nanoTime() + timeoutNanos, work);
    }

    /**
     * Runs an operation that must end by a deadline, e.g. one of the releases when closing.
     *
     * @param operation what it does, for the message of a failure
     * @param resourceId the resource it is about, for the message
     * @param deadline the {@link System#nanoTime()} by which it must end
     * @param work the statements
     * @return the result of {@code work}
     * @throws LockException {@code INTERNAL_ERROR} with the cause when the database fails or the
     *     time is up
     */
    <T> T execute(String operation, String resourceId, long deadline, Work<T> work) {
        try {
            return onOneConnection(operation, resourceId, work, deadline);
        } catch (SQLException e) {
            throw failure(operation, resourceId, e);
        }
    }

    /**
     * The deadline of an operation that starts now.
     *
     * @return {@link System#nanoTime()} plus the operation timeout
     */
    long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    /**
     * Runs the work on one pooled connection. A statement the database rolled back whole to
     * resolve contention runs again on the same connection, which is still sound after such a
     * rollback: borrowing another would wait for the pool anew, past the deadline (X1).
     */
    private <T> T onOneConnection(String operation, String resourceId, Work<T> work, long deadline)
            throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new SQLTimeoutException("no time left after waiting for a connection");
            }
            int networkTimeout = boundSocket(connection, left);
            boolean autoCommit = connection.getAutoCommit();
            // A network timeout is what bounds the wait when the server bounds the statement;
            // without one, the driver's query timeout must.
            StatementBudget budget = new StatementBudget(
                    connection, deadline, networkTimeout >= 0, !(serverBoundsStatements && networkTimeout >= 0));
            try {
                for (int attempt = 1; ; attempt++) {
                    try {
                        T result = work.run(connection, budget);
                        if (!autoCommit) {
                            budget.boundCommit();
                            connection.commit();
                        }
                        return result;
                    } catch (SQLException e) {
                        if (!autoCommit) {
                            rollbackQuietly(connection, budget, e);
                        }
                        if (!dialect.isTransient(e) || deadline - System.nanoTime() <= 0) {
                            throw e;
                        }
                        pauseBeforeRetry(attempt, operation, resourceId, e);
                    } catch (RuntimeException e) {
                        if (!autoCommit) {
                            rollbackQuietly(connection, budget, e);
                        }
                        throw e;
                    }
                }
            } finally {
                restoreSocket(connection, networkTimeout);
            }
        }
    }

    /**
     * Bounds every socket read of the operation, so that a database that vanished without closing
     * the connection cannot hang it; returns the previous timeout to restore, since the connection
     * goes back to a pool that may not be ours.
     */
    private int boundSocket(Connection connection, long leftNanos) throws SQLException {
        if (!networkTimeoutSupported) {
            return -1;
        }
        try {
            int previous = connection.getNetworkTimeout();
            connection.setNetworkTimeout(INLINE, (int) Math.min(Integer.MAX_VALUE, millisCeil(leftNanos)));
            return previous;
        } catch (SQLFeatureNotSupportedException | UnsupportedOperationException e) {
            networkTimeoutSupported = false;
            return -1;
        }
    }

    private static void restoreSocket(Connection connection, int previous) {
        if (previous < 0) {
            return;
        }
        try {
            if (!connection.isClosed()) {
                connection.setNetworkTimeout(INLINE, previous);
            }
        } catch (SQLException e) {
            // A broken connection: the pool discards it, the setting does not matter any more.
        }
    }

    /** JDBC counts query timeouts in whole seconds; round up so that it never cuts the budget short. */
    static int timeoutSeconds(long leftNanos) {
        long seconds = (leftNanos + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1);
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
    }

    private static long millisCeil(long nanos) {
        return Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    private static void rollbackQuietly(Connection connection, StatementBudget budget, Exception failure) {
        try {
            budget.boundRollback();
            connection.rollback();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }

    /** A short random pause, so that two statements that deadlocked do not collide again at once. */
    private static void pauseBeforeRetry(int attempt, String operation, String resourceId, SQLException cause) {
        long maxMillis = Math.min(20, 1L << Math.min(attempt, 5));
        LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(TimeUnit.MILLISECONDS.toNanos(maxMillis)) + 1);
        if (Thread.currentThread().isInterrupted()) {
            InterruptedException interrupted = new InterruptedException();
            interrupted.addSuppressed(cause);
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "jdbc " + operation + " of '" + resourceId + "' interrupted while retrying",
                    interrupted);
        }
    }

    static LockException failure(String operation, String resourceId, SQLException e) {
        return new LockException(
                LockError.INTERNAL_ERROR, "jdbc " + operation + " of '" + resourceId + "' failed: " + describe(e), e);
    }

    static String describe(SQLException e) {
        String message = e.getMessage();
        return (e.getSQLState() == null ? "" : "SQLState " + e.getSQLState() + ": ")
                + (message == null ? e.getClass().getName() : message);
    }
}
