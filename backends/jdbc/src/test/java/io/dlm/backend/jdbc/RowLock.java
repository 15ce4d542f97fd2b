package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * The row lock of one resource's row, held by a transaction of the test's own, as a slow client, a
 * long report or an operator's {@code SELECT ... FOR UPDATE} could hold it, or a renewal of the
 * holder's own that has not committed yet; and a second connection
 * that asks the engine's lock-wait views how many sessions wait for that transaction, so a test
 * can tell that a call really is stuck on the row and not still on its way.
 */
final class RowLock implements AutoCloseable {

    private final TestDatabase database;
    private final String table;
    private final byte[] key;
    private final Connection holder;
    private final Connection monitor;
    private final long holderSession;

    private RowLock(
            TestDatabase database,
            String table,
            byte[] key,
            Connection holder,
            Connection monitor,
            long holderSession) {
        this.database = database;
        this.table = table;
        this.key = key;
        this.holder = holder;
        this.monitor = monitor;
        this.holderSession = holderSession;
    }

    /**
     * Opens a transaction and locks the resource's row in it.
     *
     * @param database the database
     * @param table the lock table
     * @param resourceId the resource whose row must exist
     * @return the held lock; close it (or {@link #release()}) to let the row go
     */
    static RowLock take(TestDatabase database, String table, String resourceId) throws SQLException {
        Connection holder = database.connect();
        Connection monitor = null;
        try {
            holder.setAutoCommit(false);
            long session = session(database, holder);
            byte[] key = LockKey.of(resourceId).hash();
            try (PreparedStatement lock =
                    holder.prepareStatement("SELECT lock_key FROM " + table + " WHERE lock_key = ? FOR UPDATE")) {
                lock.setBytes(1, key);
                try (ResultSet row = lock.executeQuery()) {
                    if (!row.next()) {
                        throw new IllegalStateException("no row of '" + resourceId + "' in " + table + " to lock");
                    }
                }
            }
            monitor = database.connect();
            return new RowLock(database, table, key, holder, monitor, session);
        } catch (SQLException | RuntimeException e) {
            closeQuietly(monitor, e);
            closeQuietly(holder, e);
            throw e;
        }
    }

    /**
     * How many sessions wait for a lock that this transaction holds, by the engine's own views.
     *
     * @return the number of waiting sessions
     */
    int waiters() throws SQLException {
        String sql = switch (database) {
            case POSTGRESQL ->
                "SELECT COUNT(*) FROM pg_stat_activity" + " WHERE CAST(? AS integer) = ANY(pg_blocking_pids(pid))";
            case MARIADB ->
                "SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w"
                        + " JOIN information_schema.INNODB_TRX t ON t.trx_id = w.blocking_trx_id"
                        + " WHERE t.trx_mysql_thread_id = ?";
            case H2 -> "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID = ?";
        };
        try (PreparedStatement query = monitor.prepareStatement(sql)) {
            query.setLong(1, holderSession);
            try (ResultSet count = query.executeQuery()) {
                count.next();
                return count.getInt(1);
            }
        }
    }

    /**
     * Pushes the lease's expiry back within the transaction, as the holder's own renewal would,
     * to be committed by {@link #commit()}.
     *
     * @param by how much later it expires
     */
    void extendLease(Duration by) throws SQLException {
        long micros = by.toNanos() / 1_000;
        String sql = switch (database) {
            case POSTGRESQL ->
                "UPDATE " + table + " SET expires_at = expires_at + ? * INTERVAL '1 microsecond' WHERE lock_key = ?";
            case MARIADB ->
                "UPDATE " + table + " SET expires_at = expires_at + INTERVAL ? MICROSECOND WHERE lock_key = ?";
            case H2 ->
                "UPDATE " + table
                        + " SET expires_at = DATEADD(MICROSECOND, CAST(? AS BIGINT), expires_at) WHERE lock_key = ?";
        };
        try (PreparedStatement update = holder.prepareStatement(sql)) {
            update.setLong(1, micros);
            update.setBytes(2, key);
            if (update.executeUpdate() != 1) {
                throw new IllegalStateException("the locked row is gone");
            }
        }
    }

    /** Commits what the transaction did, and so lets the row go. */
    void commit() throws SQLException {
        holder.commit();
    }

    /** Ends the transaction without a change, and so lets the row go. */
    void release() throws SQLException {
        holder.rollback();
    }

    @Override
    public void close() throws SQLException {
        try (holder;
                monitor) {
            if (!holder.isClosed()) {
                holder.rollback();
            }
        }
    }

    /** The id the engine's views give the session of a connection. */
    private static long session(TestDatabase database, Connection connection) throws SQLException {
        String sql = switch (database) {
            case POSTGRESQL -> "SELECT pg_backend_pid()";
            case MARIADB -> "SELECT CONNECTION_ID()";
            case H2 -> "SELECT SESSION_ID()";
        };
        try (Statement statement = connection.createStatement();
                ResultSet id = statement.executeQuery(sql)) {
            id.next();
            return id.getLong(1);
        }
    }

    private static void closeQuietly(Connection connection, Exception failure) {
        if (connection == null) {
            return;
        }
        try {
            connection.close();
        } catch (SQLException e) {
            failure.addSuppressed(e);
        }
    }
}
