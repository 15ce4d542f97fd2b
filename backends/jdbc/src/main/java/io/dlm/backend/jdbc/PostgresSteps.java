package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * The steps PostgreSQL takes its own way, with {@link PostgresStatements}: the acquisition by
 * takeover, else insert or report, else a second look (L1, F1); the release and the undo, which
 * read their answer from {@code RETURNING} and name the channel they notify (U2, X5, L4); and the
 * reaper's run in one statement (E4).
 *
 * @param sql PostgreSQL's statements for the table
 * @param channel the channel the release and the undo notify: the table's
 */
record PostgresSteps(PostgresStatements sql, String channel) {

    /** How often the undo runs when rows inserted meanwhile keep making its insert do nothing. */
    private static final int UNDO_RUNS = 3;

    /**
     * Runs the acquisition; returns this caller as holder when it won, the other holder when refused,
     * or null when the resource was freed between the acquisition and a second look.
     */
    private @Nullable Holder acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.takeOver(), budget)) {
            LeaseRows.bindTakeOver(statement, key, clientId, leaseMicros, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    return Holder.won(clientId, row.getLong(1));
                }
            }
        }
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.insertOrReport(), budget)) {
            int next = LeaseRows.bindNewRow(statement, key, clientId, leaseMicros, leaseMicros, attempt);
            statement.setBytes(next, key.hash());
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    if (row.getBoolean(1)) {
                        return Holder.won(clientId, row.getLong(2));
                    }
                    long remaining = row.getLong(4);
                    if (remaining > 0) {
                        return new Holder(row.getBytes(3), row.getLong(2), remaining);
                    }
                }
            }
        }
        // Lost to a holder the snapshot does not show, or the lease just ended: a second look, with
        // a fresh snapshot, names the holder, or finds the resource free ("try again now").
        return LeaseRows.inspect(connection, sql.shared().inspect(), key, budget);
    }

    /** Runs the release, whose {@code RETURNING} tells whether the lease was live, and notifies waiters. */
    private boolean release(
            Connection connection, LockKey key, byte[] clientId, long fencingToken, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement =
                LeaseRows.prepare(connection, sql.shared().release(), budget)) {
            int next = LeaseRows.bindOwned(statement, key, clientId, fencingToken, fencingToken);
            statement.setString(next, channel);
            try (ResultSet row = statement.executeQuery()) {
                return row.next() && row.getBoolean(1);
            }
        }
    }

    private boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, StatementBudget budget)
            throws SQLException {
        // A run that finds no row and then loses the insert to an acquisition runs again: the row
        // is there now, and the reaper leaves it for the retention.
        for (int run = 1; ; run++) {
            try (PreparedStatement statement = LeaseRows.prepare(connection, sql.undo(), budget)) {
                int next = LeaseRows.bindNewRow(statement, key, clientId, attempt);
                statement.setBytes(next, key.hash());
                statement.setString(next + 1, channel);
                try (ResultSet row = statement.executeQuery()) {
                    if (row.next()) {
                        return row.getBoolean(1);
                    }
                }
            }
            if (run == UNDO_RUNS) {
                throw new SQLException(
                        "The undo found no row, then lost its insert to an acquisition, " + UNDO_RUNS + " times");
            }
        }
    }

    private Dialect.Reaped reap(Connection connection, long retentionMicros, StatementBudget budget)
            throws SQLException {
        long keepMicros = Dialect.tombstoneKeepMicros(retentionMicros);
        try (PreparedStatement statement = LeaseRows.prepare(connection, sql.reap(), budget)) {
            statement.setLong(1, retentionMicros);
            statement.setLong(2, keepMicros);
            statement.setInt(3, Dialect.REAP_BATCH);
            statement.setLong(4, keepMicros - retentionMicros);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return new Dialect.Reaped(row.getInt(1), row.getInt(2));
            }
        }
    }

    /**
     * PostgreSQL's dialect for a table: these steps, on the table's statements and channel, and a
     * renewal batch of prepared statements; no row lock comes first.
     *
     * @param table the lock table
     * @return the dialect
     */
    static Dialect dialect(TableName table) {
        PostgresSteps postgres = new PostgresSteps(PostgresStatements.of(table), table.channel());
        Statements shared = postgres.sql.shared();
        Steps steps = new Steps(
                postgres::acquire,
                postgres::release,
                postgres::undo,
                new JdbcRenewalBatch(shared.renew()),
                postgres::reap,
                Steps.RowLock.NONE);
        return new Dialect(Dialect.Kind.POSTGRESQL, table, shared, steps);
    }
}
