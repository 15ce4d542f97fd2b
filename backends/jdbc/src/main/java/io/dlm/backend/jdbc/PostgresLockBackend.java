package io.dlm.backend.jdbc;

import io.dlm.spi.WatchingLockBackend;

/**
 * The {@code jdbc} backend on PostgreSQL: everything {@link JdbcLockBackend} does, plus waiters
 * woken by {@code LISTEN/NOTIFY} instead of polling (L4, U3), through its {@link ReleaseNotifier}.
 * While this backend watches a resource, a refused attempt marks the holder's lease as waited for;
 * the release of a marked lease notifies the table's channel when it commits, and one listener
 * connection per backend hears it and wakes the runtime's waiters for that resource.
 */
public final class PostgresLockBackend extends JdbcLockBackend implements WatchingLockBackend {

    private final ReleaseNotifier notifier;

    PostgresLockBackend(
            Dialect dialect,
            SqlExecutor sql,
            Reaper reaper,
            AutoCloseable connections,
            ReleaseNotifier notifier,
            int concurrentBatches) {
        super(dialect, sql, reaper, connections, notifier, concurrentBatches);
        this.notifier = notifier;
    }

    /**
     * Watches the resource's releases. The listener's {@code LISTEN} is in force when this returns;
     * closing the watch leaves nothing on the server (L5).
     */
    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return notifier.watch(resourceId, onMaybeFree);
    }

    /**
     * Counts the open watches of this backend, for tests of L5.
     *
     * @return how many watches are registered
     */
    int watchCount() {
        return notifier.watchCount();
    }
}
