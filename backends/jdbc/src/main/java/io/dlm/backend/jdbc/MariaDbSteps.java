package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import org.jspecify.annotations.Nullable;

/**
 * The steps MariaDB takes its own way, with {@link MariaDbStatements}: the acquisition by takeover,
 * else by an {@code INSERT ... RETURNING} read back by what the row returned (L1, F1); the undo,
 * one {@code INSERT ... RETURNING} (X5); and the renewal batch of {@link MariaDbRenewalBatch}.
 *
 * @param sql MariaDB's statements for the table
 */
record MariaDbSteps(MariaDbStatements sql) {

    /** An {@code INSERT ... RETURNING} returns its row whether it inserted or updated. */
    private static final String NO_ROW = "INSERT ... RETURNING returned no row";

    /**
     * Runs the acquisition; returns this caller as holder when it won, the other holder when
     * refused, or null when it found this attempt's tombstone.
     */
    private @Nullable Holder acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        // With auto-commit off the operation commits only after both statements, and the
        // takeover's lock on the gap where a missing row would go lasts until then: two first
        // acquisitions of resources in one gap would deadlock on their inserts (REPEATABLE READ).
        // Such a connection takes the one-statement way.
        if (connection.getAutoCommit()) {
            Holder taken = takeOver(connection, key, clientId, leaseMicros, attempt, budget);
            if (taken != null) {
                return taken;
            }
        }
        return insertOrReport(connection, key, clientId, leaseMicros, attempt, budget);
    }

    /** Takes over a kept row whose lease is over; null when there was none to take. */
    private @Nullable Holder takeOver(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = LeaseRows.prepareForKeys(connection, sql.takeOver(), budget)) {
            LeaseRows.bindTakeOver(statement, key, clientId, leaseMicros, attempt);
            if (statement.executeUpdate() == 0) {
                return null;
            }
            return Holder.won(clientId, takenToken(statement));
        }
    }

    /**
     * The token the takeover drew, from the OK packet. The row is taken by now, so a failure to
     * read it must end the operation and never be run again as a transient one: a second run would
     * find this attempt's live lease and take it for the attempt's tombstone. It reaches the
     * runtime, which undoes this attempt (X5), which the row names.
     */
    private static long takenToken(PreparedStatement statement) throws SQLException {
        try (ResultSet keys = statement.getGeneratedKeys()) {
            if (keys.next() && keys.getLong(1) > 0) {
                return keys.getLong(1);
            }
        } catch (SQLException e) {
            throw tokenNotRead(e);
        }
        throw tokenNotRead(null);
    }

    /** No SQLState and no error code: no dialect counts it as transient, so it is not run again. */
    private static SQLException tokenNotRead(@Nullable SQLException cause) {
        return new SQLException(
                "the takeover took the row, but its token (LAST_INSERT_ID) could not be read from the driver's"
                        + " generated keys; the acquisition is undone",
                null,
                0,
                cause);
    }

    /** After a refused takeover: inserts the row, takes it over if its lease just ended, or reports the holder. */
    private @Nullable Holder insertOrReport(
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
