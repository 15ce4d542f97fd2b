package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The steps MariaDB takes its own way, with {@link MariaDbStatements}: the acquisition and the undo,
 * one {@code INSERT ... RETURNING} each, read back by what the row returned (L1, F1, X5), and the
 * renewal batch of {@link MariaDbRenewalBatch}.
 *
 * @param sql MariaDB's statements for the table
 */
record MariaDbSteps(MariaDbStatements sql) {

    /** An {@code INSERT ... RETURNING} returns its row whether it inserted or updated. */
    private static final String NO_ROW = "INSERT ... RETURNING returned no row";

    private @Nullable Holder acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.acquire(), budget)) {
            LeaseRows.bindNewRow(statement, key, clientId, leaseMicros, leaseMicros, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException(NO_ROW);
                }
                long token = row.getLong(1);
                if (token == row.getLong(2)) {
                    return Holder.won(clientId, token);
                }
                if (row.getLong(5) == attempt && !row.wasNull()) {
                    // This attempt's tombstone: its undo came first. The resource is free: null.
                    return null;
                }
                return new Holder(row.getBytes(3), token, row.getLong(4));
            }
        }
    }

    private boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.undo(), budget)) {
            LeaseRows.bindNewRow(statement, key, clientId, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException(NO_ROW);
                }
                return Arrays.equals(row.getBytes(1), clientId) && row.getLong(2) == attempt && !row.wasNull();
            }
        }
    }

    /**
     * MariaDB's dialect for a table: its acquisition and undo here, a release told by its update
     * count, the renewal batch in one transaction, the reaper by keys; statements judge expiry by
     * {@code SYSDATE(6)}, so no row lock comes first.
     *
     * @param table the lock table
     * @return the dialect
     */
    static Dialect dialect(TableName table) {
        MariaDbStatements sql = MariaDbStatements.of(table);
        MariaDbSteps mariaDb = new MariaDbSteps(sql);
        Statements shared = sql.shared();
        Steps steps = new Steps(
                mariaDb::acquire,
                Steps.Release.byUpdateCount(shared.release()),
                mariaDb::undo,
                new MariaDbRenewalBatch(shared.renew()),
                sql.reap(),
                Steps.RowLock.NONE);
        return new Dialect(Dialect.Kind.MARIADB, table, shared, steps);
    }
}
