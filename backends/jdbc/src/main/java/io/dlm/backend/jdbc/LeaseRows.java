package io.dlm.backend.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.jspecify.annotations.Nullable;

/**
 * How every database's statements on the lock table are prepared, bound and read: each statement
 * bounded by what its operation has left (X1), ids bound as bytes (V1).
 */
final class LeaseRows {

    private LeaseRows() {}

    /**
     * Prepares a statement and bounds it by what the operation has left; closes it again if the
     * bound fails, as a {@code try} with the statement as its resource would.
     *
     * @param connection the operation's connection
     * @param sql the statement
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the statement, for the caller to bind, run and close
     * @throws SQLException on any failure of the database, or when no time is left
     */
    static PreparedStatement prepare(Connection connection, String sql, StatementBudget budget) throws SQLException {
        return bounded(connection.prepareStatement(sql), budget);
    }

    /**
     * Prepares a statement whose generated keys the caller reads (MariaDB's takeover returns its
     * token as the last insert id), bounded as {@link #prepare} bounds it.
     *
     * @param connection the operation's connection
     * @param sql the statement
     * @param budget bounds each statement by what the operation has left of its timeout
     * @return the statement, for the caller to bind, run and close
     * @throws SQLException on any failure of the database, or when no time is left
     */
    static PreparedStatement prepareForKeys(Connection connection, String sql, StatementBudget budget)
            throws SQLException {
        return bounded(connection.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS), budget);
    }

    private static PreparedStatement bounded(PreparedStatement statement, StatementBudget budget) throws SQLException {
        try {
            budget.bound(statement);
            return statement;
        } catch (Throwable e) {
            try {
                statement.close();
            } catch (Throwable close) {
                e.addSuppressed(close);
            }
            throw e;
        }
    }

    /**
     * Binds the key, the id, the client and then the values of a statement that may insert the
     * row.
     *
     * @return the index of the next parameter
     */
    static int bindNewRow(PreparedStatement statement, LockKey key, byte[] clientId, long... values)
            throws SQLException {
        statement.setBytes(1, key.hash());
        statement.setBytes(2, key.id());
        statement.setBytes(3, clientId);
        return bindLongs(statement, 4, values);
    }

    /**
     * Binds a takeover of a kept row (PostgreSQL's and MariaDB's): the new client, attempt and
     * lease (twice: stored, and added to the clock), the key, then the attempt and client of the
     * tombstone it must not take.
     */
    static void bindTakeOver(PreparedStatement statement, LockKey key, byte[] clientId, long leaseMicros, long attempt)
            throws SQLException {
        statement.setBytes(1, clientId);
        statement.setLong(2, attempt);
        statement.setLong(3, leaseMicros);
        statement.setLong(4, leaseMicros);
        statement.setBytes(5, key.hash());
        statement.setLong(6, attempt);
        statement.setBytes(7, clientId);
    }

    /**
     * Binds the key, the client and the conditions of a statement on a client's lease.
     *
     * @return the index of the next parameter
     */
    static int bindOwned(PreparedStatement statement, LockKey key, byte[] clientId, long... conditions)
            throws SQLException {
        statement.setBytes(1, key.hash());
        statement.setBytes(2, clientId);
        return bindLongs(statement, 3, conditions);
    }

    /** Binds values from parameter {@code first} on, and returns the index of the next. */
    private static int bindLongs(PreparedStatement statement, int first, long[] values) throws SQLException {
        int index = first;
        for (long value : values) {
            statement.setLong(index++, value);
        }
        return index;
    }

    /**
     * Runs an update of a client's lease whose parameters are the key, the client and then {@code
     * conditions}.
     *
     * @return whether it changed one row
     * @throws SQLException on any failure of the database
     */
    static boolean updateOwned(
            Connection connection, String sql, LockKey key, byte[] clientId, StatementBudget budget, long... conditions)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, budget)) {
            bindOwned(statement, key, clientId, conditions);
            return statement.executeUpdate() == 1;
        }
    }

    /**
     * Reads the live lease of a key with {@link Statements#inspect} (I1).
     *
     * @return the holder, or null when the resource is free
     * @throws SQLException on any failure of the database
     */
    static @Nullable Holder inspect(Connection connection, String sql, LockKey key, StatementBudget budget)
            throws SQLException {
        try (PreparedStatement statement = prepare(connection, sql, budget)) {
            statement.setBytes(1, key.hash());
            try (ResultSet row = statement.executeQuery()) {
                return row.next() ? new Holder(row.getBytes(1), row.getLong(2), row.getLong(3)) : null;
            }
        }
    }
}
