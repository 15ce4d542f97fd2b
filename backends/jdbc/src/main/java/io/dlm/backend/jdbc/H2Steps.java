package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The steps H2 takes its own way, with {@link H2Statements}: the acquisition that merges and, when
 * refused, looks at the holder, and the undo that merges; each after the row lock that {@link
 * RowLockFirst} takes first (E2, U2, H2, X5).
 *
 * @param sql H2's statements for the table
 */
record H2Steps(H2Statements sql) {

    private @Nullable Holder acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.acquire(), budget)) {
            LeaseRows.bindNewRow(statement, key, clientId, leaseMicros, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    return Holder.won(clientId, row.getLong(1));
                }
            }
        }
        // A row made after the lock step and already gone: null, "held" for a moment; the runtime tries again.
        return LeaseRows.inspect(connection, sql.shared().inspect(), key, budget);
    }

    private boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.undo(), budget)) {
            LeaseRows.bindNewRow(statement, key, clientId, attempt);
            return statement.executeUpdate() == 1;
        }
    }

    /**
     * H2's dialect for a table: the row lock first in every step that may wait for one, then its
     * acquisition and undo here and a release told by its update count; renewals one by one, each
     * after its row lock; the reaper by keys.
     *
     * @param table the lock table
     * @return the dialect
     */
    static Dialect dialect(TableName table) {
        H2Steps h2 = new H2Steps(H2Statements.of(table));
        RowLockFirst rowLock = new RowLockFirst(h2.sql.lockRow());
        Statements shared = h2.sql.shared();
        return new Dialect(
                Dialect.Kind.H2,
                table,
                shared,
                new Steps(
                        h2::acquire,
                        Steps.Release.byUpdateCount(shared.release()),
                        h2::undo,
                        rowLock.renewEach(shared.renew()),
                        h2.sql.reap(),
                        rowLock));
    }
}
