package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import io.dlm.spi.WatchingLockBackend.Watch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Has the release of a lease that a waiter of this backend watches notified to that waiter, on
 * PostgreSQL (L4, U3): a refused attempt of a watched resource marks the holder's lease ({@link
 * PostgresStatements#mark}), the release of a marked lease notifies the table's channel when it
 * commits, and the {@link ReleaseListener} hears it and wakes the watches of that resource.
 * Unwatched releases send nothing (see {@link PostgresStatements}). An expiry sends nothing
 * either: the runtime wakes the head waiter at the holder's remaining lease, which every refused
 * acquisition reports. The other databases have none: their waiters are polled.
 */
final class ReleaseNotifier implements AutoCloseable {

    private final ReleaseListener listener;
    private final String mark;

    /**
     * Creates the notifier of a table.
     *
     * @param listener hears the table's channel
     * @param table the lock table
     */
    ReleaseNotifier(ReleaseListener listener, TableName table) {
        this.listener = listener;
        this.mark = PostgresStatements.mark(table);
    }

    /**
     * Watches the resource's releases. The listener's {@code LISTEN} is in force when this returns;
     * closing the watch leaves nothing on the server (L5).
     *
     * @param resourceId the resource
     * @param onMaybeFree called on the listener's thread; must not block
     * @return the watch
     */
    Watch watch(String resourceId, Runnable onMaybeFree) {
        return listener.watch(LockKey.of(resourceId).hex(), onMaybeFree);
    }

    /**
     * Tells whether a waiter of this backend watches a resource, so that a refused attempt marks
     * the lease. Asked before the attempt's statements run.
     *
     * @param key the resource
     * @return whether a watch of it is open
     */
    boolean isWatched(LockKey key) {
        return listener.watchesAny() && listener.isWatched(key.hex());
    }

    /**
     * Marks the lease that refused an attempt as waited for, so that its release notifies.
     *
     * @param connection the attempt's connection
     * @param key the resource
     * @param holder the lease that refused the attempt
     * @param refused the attempt's outcome, held by another
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return {@code refused}; or {@code held(1 ns)}, "try again now", when the lease ended before
     *     it could be marked
     * @throws SQLException on any failure of the database
     */
    Acquisition mark(Connection connection, LockKey key, Holder holder, Acquisition refused, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, mark, budget)) {
            statement.setBytes(1, key.hash());
            statement.setLong(2, holder.fencingToken());
            return statement.executeUpdate() == 1 ? refused : Acquisition.held(1);
        }
    }

    /**
     * Counts the open watches, for tests of L5.
     *
     * @return how many watches are registered
     */
    int watchCount() {
        return listener.watchCount();
    }

    /** Stops listening: called before the backend's pool goes. */
    @Override
    public void close() {
        listener.close();
    }
}
