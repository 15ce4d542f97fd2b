package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * H2 2.x: {@code MERGE INTO ... USING ... WHEN MATCHED AND expired THEN UPDATE ... WHEN NOT
 * MATCHED THEN INSERT}, read back through {@code FINAL TABLE}: a row comes back exactly when the
 * statement inserted or took over. H2 locks the matched row and checks the condition again on the
 * version it locked, so two takeovers of one expired row cannot both win. Two inserts of a new row
 * race to the primary key; the loser fails with a duplicate key and runs again (see
 * {@link #isTransient}), when it finds the row.
 *
 * <p>Times are {@code TIMESTAMP WITH TIME ZONE} against {@code CURRENT_TIMESTAMP(6)}, which H2
 * keeps for the whole transaction, here one statement.
 */
final class H2Dialect extends Dialect {

    private static final String NOW = "CURRENT_TIMESTAMP(6)";

    private final String acquire = sql("SELECT fencing_token FROM FINAL TABLE (MERGE INTO {table} AS l USING"
            + " (VALUES (CAST(? AS BINARY(32)), CAST(? AS VARBINARY(3072)), CAST(? AS VARBINARY(3072)),"
            + " CAST(? AS BIGINT), CAST(? AS BIGINT))) AS s (lock_key, resource_id, client_id, lease_micros,"
            + " attempt_id)"
            + " ON l.lock_key = s.lock_key"
            + " WHEN MATCHED AND l.expires_at <= " + NOW + " THEN UPDATE SET client_id = s.client_id,"
            + " fencing_token = NEXT VALUE FOR {sequence}, attempt_id = s.attempt_id, lease_micros = s.lease_micros,"
            + " expires_at = DATEADD(MICROSECOND, s.lease_micros, " + NOW + ")"
            + " WHEN NOT MATCHED THEN INSERT (lock_key, resource_id, client_id, fencing_token, attempt_id,"
            + " lease_micros, expires_at) VALUES (s.lock_key, s.resource_id, s.client_id,"
            + " NEXT VALUE FOR {sequence}, s.attempt_id, s.lease_micros,"
            + " DATEADD(MICROSECOND, s.lease_micros, " + NOW + ")))");

    // The cast types the parameter as the token is typed; H2 would take it as 0's INTEGER.
    private static final String TOKEN = "(CAST(? AS BIGINT) = 0 OR fencing_token = ?)";

    private final String release = sql("UPDATE {table} SET expires_at = " + NOW
            + " WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    private final String undo = sql("UPDATE {table} SET expires_at = " + NOW
            + " WHERE lock_key = ? AND client_id = ? AND attempt_id = ? AND expires_at > " + NOW);

    private final String renew = sql("UPDATE {table} SET expires_at = DATEADD(MICROSECOND, lease_micros, " + NOW
            + ") WHERE lock_key = ? AND client_id = ? AND " + TOKEN + " AND expires_at > " + NOW);

    private final String inspect = sql("SELECT client_id, fencing_token, DATEDIFF(MICROSECOND, " + NOW
            + ", expires_at) FROM {table} WHERE lock_key = ? AND expires_at > " + NOW);

    private final String reap = sql("DELETE FROM {table} WHERE expires_at < DATEADD(MICROSECOND,"
            + " -CAST(? AS BIGINT), " + NOW + ") FETCH FIRST ? ROWS ONLY");

    H2Dialect(TableName table) {
        super(table);
    }

    @Override
    Kind kind() {
        return Kind.H2;
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
            statement.setLong(5, attempt);
            try (ResultSet row = statement.executeQuery()) {
                if (row.next()) {
                    return Acquisition.acquired(row.getLong(1));
                }
            }
        }
        Holder holder = inspect(connection, key, timeoutSeconds);
        // Released between the two statements: say "held" for a moment, and the runtime tries again.
        return holder != null ? holder.refuse(clientId) : Acquisition.held(1);
    }

    @Override
    String checkSql() {
        return sql("SELECT NEXT VALUE FOR {sequence}, attempt_id FROM {table} WHERE 1 = 0");
    }

    @Override
    boolean isTransient(SQLException e) {
        // 23505: lost the race to insert a new row; HYT00: lock wait timed out.
        String state = e.getSQLState();
        return super.isTransient(e) || "23505".equals(state) || "HYT00".equals(state);
    }

    @Override
    Map<String, String> schemaNames() {
        // H2 places an index in the schema its name gives, which must be the table's.
        int dot = table.name().indexOf('.');
        String index = dot < 0 ? table.expiryIndex() : table.name().substring(0, dot + 1) + table.expiryIndex();
        return Map.of("table", table.name(), "sequence", table.sequence(), "index", index);
    }

    @Override
    String releaseSql() {
        return release;
    }

    @Override
    String undoSql() {
        return undo;
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
