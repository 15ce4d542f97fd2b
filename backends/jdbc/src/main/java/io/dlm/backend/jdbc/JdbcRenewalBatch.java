package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Renews many leases with {@link Statements#renew} run as one JDBC batch: one round trip, one
 * statement per lease, each with the meaning of {@link Dialect#renew} (H1, H2, K1, K4, N7). What
 * PostgreSQL does; MariaDB has {@link MariaDbRenewalBatch}, H2 renews each lease on its own
 * ({@link RowLockFirst#renewEach}).
 *
 * @param renew the renewal statement
 */
record JdbcRenewalBatch(String renew) implements Steps.RenewBatch {

    @Override
    public int[] renewAll(
            Connection connection, LockKey[] keys, byte[][] clientIds, long[] fencingTokens, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, renew, budget)) {
            for (int i = 0; i < keys.length; i++) {
                LeaseRows.bindOwned(statement, keys[i], clientIds[i], fencingTokens[i], fencingTokens[i]);
                statement.addBatch();
            }
            return statement.executeBatch();
        }
    }
}
