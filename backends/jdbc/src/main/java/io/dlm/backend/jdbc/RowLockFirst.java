package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * H2's lock of a row before a step that may wait for it (E2, U2, H2): H2 has no clock that moves
 * within a statement, so a statement that waited for a row lock would judge expiry by a time from
 * before the wait (see {@link H2Statements}). The step runs in one transaction after a {@code
 * SELECT ... FOR UPDATE} that takes the lock and reads no time; its first reading of {@code
 * CURRENT_TIMESTAMP} is then the start of a statement that began with the lock held.
 *
 * @param lockRow locks the row of a key (parameter 1), if there is one, and reads no time
 */
record RowLockFirst(String lockRow) implements Steps.RowLock {

    /**
     * Locks the key's row, then runs the step in the same transaction. An auto-commit connection
     * gets a transaction of its own here; one handed out with auto-commit off is committed by
     * {@link SqlExecutor} after the operation.
     */
    @Override
    public <T> T around(Connection connection, LockKey key, StatementBudget budget, Steps.Step<T> step)
            throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        if (autoCommit) {
            connection.setAutoCommit(false);
        }
        try {
            try (PreparedStatement lock = LeaseRows.prepare(connection, lockRow, budget)) {
                lock.setBytes(1, key.hash());
                lock.executeQuery().close();
            }
            T result = step.run();
            if (autoCommit) {
                connection.commit();
            }
            return result;
        } catch (SQLException | RuntimeException e) {
            if (autoCommit) {
                try {
                    connection.rollback();
                } catch (SQLException rollback) {
                    e.addSuppressed(rollback);
                }
            }
            throw e;
        } finally {
            if (autoCommit) {
                connection.setAutoCommit(true);
            }
        }
    }

    /**
     * One locked renewal per lease rather than one batch: each renewal must lock its row before the
     * statement that judges the expiry. H2 runs in the same process, so there is no round trip to
     * save.
     *
     * @param renew the renewal statement, {@link Statements#renew}
     * @return the renewals of a batch, one after the other
     */
    Steps.RenewBatch renewEach(String renew) {
        return (connection, keys, clientIds, fencingTokens, budget) -> {
            int[] counts = new int[keys.length];
            for (int i = 0; i < keys.length; i++) {
                LockKey key = keys[i];
                byte[] clientId = clientIds[i];
                long token = fencingTokens[i];
                boolean renewed = around(
                        connection,
                        key,
                        budget,
                        () -> LeaseRows.updateOwned(connection, renew, key, clientId, budget, token, token));
                counts[i] = renewed ? 1 : 0;
            }
            return counts;
        };
    }
}
