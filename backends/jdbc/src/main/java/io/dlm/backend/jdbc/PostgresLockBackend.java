package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import io.dlm.spi.WatchingLockBackend;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The {@code jdbc} backend on PostgreSQL: everything {@link JdbcLockBackend} does, plus waiters
 * woken by {@code LISTEN/NOTIFY} instead of polling (L4, U3). While this backend watches a
 * resource, a refused attempt marks the holder's lease as waited for; the release of a marked lease
 * notifies the table's channel when it commits, and one listener connection per backend hears it
 * and wakes the runtime's waiters for that resource. Unwatched releases send nothing (see {@link
 * PostgresDialect}). An expiry sends nothing either: the runtime wakes the head waiter at the
 * holder's remaining lease, which every refused acquisition reports.
 */
public final class PostgresLockBackend extends JdbcLockBackend implements WatchingLockBackend {

    private final ReleaseListener listener;

    PostgresLockBackend(
            Dialect dialect,
            SqlExecutor sql,
            Reaper reaper,
            AutoCloseable connections,
            ReleaseListener listener,
            int concurrentBatches) {
        super(dialect, sql, reaper, connections, concurrentBatches);
        this.listener = listener;
    }

    /**
     * Watches the resource's releases. The listener's {@code LISTEN} is in force when this returns;
     * closing the watch leaves nothing on the server (L5).
     */
    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return listener.watch(LockKey.of(resourceId).hex(), onMaybeFree);
    }

    @Override
    Acquisition attempt(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        PostgresDialect postgres = (PostgresDialect) dialect;
        return listener.watchesAny() && listener.isWatched(key.hex())
                ? postgres.acquireAndWatch(connection, key, clientId, leaseMicros, attempt, budget)
                : postgres.acquire(connection, key, clientId, leaseMicros, attempt, budget);
    }

    /**
     * Counts the open watches of this backend, for tests of L5.
     *
     * @return how many watches are registered
     */
    int watchCount() {
        return listener.watchCount();
    }

    @Override
    void closeListeners() {
        listener.close();
    }
}
