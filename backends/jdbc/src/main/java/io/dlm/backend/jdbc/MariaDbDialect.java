package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * MariaDB 10.5 or later: {@code INSERT ... ON DUPLICATE KEY UPDATE} whose assignments each apply
 * only when the existing lease is over, with {@code RETURNING} (10.5) to read the row back.
 *
 * <p>Whether the statement won is read from the sequence, not from affected-row counts (which
 * depend on the connection's {@code useAffectedRows} flag): the statement always draws a token in
 * its {@code VALUES}, and draws another when it takes over a row, so the row carries this
 * session's {@code PREVIOUS VALUE FOR} the sequence exactly when this statement wrote it. Tokens are
 * never reused, so a holder's token cannot be equal to it.
 *
 * <p>Times are {@code DATETIME(6)} in UTC: no session time zone and no daylight-saving gap can
 * shift them. A statement that may wait for a row lock (acquire, release, undo, renew) judges
 * expiry by {@code SYSDATE(6)}, the time at which it is evaluated, that is once the row is locked;
 * {@code UTC_TIMESTAMP(6)} and {@code NOW(6)} are the statement's start, before the wait, and
 * would let a statement that waited past an expiry take the lease for live: an unlock would report
 * a release after the expiry (U2), a heartbeat revive the lease (H2), an acquisition be refused by
 * a lease that had ended (E2). {@code SYSDATE} is in the session's time zone, so these statements
 * run under {@code SET STATEMENT time_zone = '+00:00'}, which touches no session setting. (A server
 * started with {@code --sysdate-is-now} turns {@code SYSDATE} back into the start time.)
 *
 * <p>The takeover's five assignments must agree on one decision, while {@code SYSDATE} moves between
 * them: the first stores whether the lease is over (and the row is not this attempt's tombstone,
 * see {@link Dialect}) in the session variable {@code @dlm_expired},
 * and the others read it (MariaDB applies the assignments left to right; the variable is only read
 * by the statement that has just set it). A statement that reads without waiting ({@code inspect})
 * keeps the start time; so does the reaper, whose range on the expiry index needs a constant, and
 * which at worst deletes a row one statement later. Ids are {@code VARBINARY}, compared byte for
 * byte (no collation, no trailing-space rule).
 */
final class MariaDbDialect extends Dialect {

    /** Prefixes a statement that reads {@link #NOW}, so that it reads UTC. */
    private static final String IN_UTC = "SET STATEMENT time_zone = '+00:00' FOR ";

    /** The database's time when the expression is evaluated (after the row lock), in UTC under {@link #IN_UTC}. */
    private static final String NOW = "SYSDATE(6)";

    private static final String TAKE_OVER = "@dlm_expired";

    private final String acquire =
            sql(IN_UTC + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token, lease_micros,"
                    + " expires_at, attempt_id) VALUES (?, ?, ?, NEXT VALUE FOR {sequence}, ?,"
                    + " " + NOW + " + INTERVAL ? MICROSECOND, ?)"
                    + " ON DUPLICATE KEY UPDATE"
                    + " client_id = IF((" + TAKE_OVER + " := (expires_at <= " + NOW + " AND NOT (client_id ="
                    + " VALUES(client_id) AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
                    + " fencing_token = IF(" + TAKE_OVER + ", NEXT VALUE FOR {sequence}, fencing_token),"
                    + " lease_micros = IF(" + TAKE_OVER + ", VALUES(lease_micros), lease_micros),"
                    + " attempt_id = IF(" + TAKE_OVER + ", VALUES(attempt_id), attempt_id),"
                    + " expires_at = IF(" + TAKE_OVER + ", " + NOW + " + INTERVAL VALUES(lease_micros) MICROSECOND,"
                    + " expires_at)"
                    + " RETURNING fencing_token, PREVIOUS VALUE FOR {sequence}, client_id,"
                    + " TIMESTAMPDIFF(MICROSECOND, " + NOW + ", expires_at), attempt_id");

    private static final String TOKEN = "(? = 0 OR fencing_token = ?)";

    private final String release = sql(IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + " WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    private static final String UNDONE = "@dlm_undone";

    /*
     * Inserts the tombstone, or, on the existing row once locked, ends this attempt's lease or turns
     * the free row into its tombstone; a live lease of another acquisition keeps every column. The
     * decision is taken once, in the first assignment, as the acquisition's is.
     */
    private final String undo = sql(IN_UTC + "INSERT INTO {table} (lock_key, resource_id, client_id, fencing_token,"
            + " lease_micros, expires_at, attempt_id) VALUES (?, ?, ?, 0, " + TOMBSTONE_LEASE + ", " + NOW + ", ?)"
            + " ON DUPLICATE KEY UPDATE"
            + " client_id = IF((" + UNDONE + " := (expires_at <= " + NOW + " OR (client_id = VALUES(client_id)"
            + " AND attempt_id <=> VALUES(attempt_id)))), VALUES(client_id), client_id),"
            + " attempt_id = IF(" + UNDONE + ", VALUES(attempt_id), attempt_id),"
            + " lease_micros = IF(" + UNDONE + ", " + TOMBSTONE_LEASE + ", lease_micros),"
            + " expires_at = IF(" + UNDONE + ", " + NOW + ", expires_at)"
            + " RETURNING client_id, attempt_id");

    private final String renew = sql(IN_UTC + "UPDATE {table} SET expires_at = " + NOW
            + " + INTERVAL lease_micros MICROSECOND WHERE lock_key = ? AND client_id = ? AND " + TOKEN
            + " AND expires_at > " + NOW);

    private final String inspect = sql("SELECT client_id, fencing_token,"
            + " TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) FROM {table}"
            + " WHERE lock_key = ? AND expires_at > UTC_TIMESTAMP(6)");

    private final String reap = sql("DELETE FROM {table} WHERE expires_at < UTC_TIMESTAMP(6) - INTERVAL ?"
            + " MICROSECOND AND (lease_micros <> " + TOMBSTONE_LEASE + " OR expires_at < UTC_TIMESTAMP(6)"
            + " - INTERVAL ? MICROSECOND) ORDER BY expires_at LIMIT ?");

    MariaDbDialect(TableName table) {
        super(table);
    }

    @Override
    Kind kind() {
        return Kind.MARIADB;
    }

    @Override
    Acquisition acquire(
            Connection connection, LockKey key, byte[] clientId, long leaseMicros, long attempt, int timeoutSeconds)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(acquire)) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setBytes(1, key.hash());
            statement.setBytes(2, key.id());
            statement.setBytes(3, clientId);
            statement.setLong(4, leaseMicros);
            statement.setLong(5, leaseMicros);
            statement.setLong(6, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("INSERT ... RETURNING returned no row");
                }
                long token = row.getLong(1);
                if (token == row.getLong(2)) {
                    return Acquisition.acquired(token);
                }
                if (row.getLong(5) == attempt && !row.wasNull()) {
                    // This attempt's tombstone: its undo came first. The resource is free.
                    return Acquisition.held(1);
                }
                return new Holder(row.getBytes(3), token, row.getLong(4)).refuse(clientId);
            }
        }
    }

    @Override
    boolean undo(Connection connection, LockKey key, byte[] clientId, long attempt, int timeoutSeconds)
            throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(undo)) {
            statement.setQueryTimeout(timeoutSeconds);
            statement.setBytes(1, key.hash());
            statement.setBytes(2, key.id());
            statement.setBytes(3, clientId);
            statement.setLong(4, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    throw new SQLException("INSERT ... RETURNING returned no row");
                }
                return Arrays.equals(row.getBytes(1), clientId) && row.getLong(2) == attempt && !row.wasNull();
            }
        }
    }

    @Override
    String checkSql() {
        return sql("SELECT NEXT VALUE FOR {sequence}, attempt_id FROM {table} WHERE 1 = 0");
    }

    @Override
    boolean isTransient(SQLException e) {
        // 1213 deadlock (40001), 1205 lock wait timeout, 1020 record changed (snapshot isolation).
        int code = e.getErrorCode();
        return super.isTransient(e) || code == 1205 || code == 1213 || code == 1020;
    }

    @Override
    String releaseSql() {
        return release;
    }

    @Override
    String renewSql() {
        return renew;
    }

    @Override
    String inspectSql() {
        return inspect;
    }

    @Override
    String reapSql() {
        return reap;
    }
}
