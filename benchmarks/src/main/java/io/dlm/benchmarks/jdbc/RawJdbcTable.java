package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dlm.benchmarks.LockTable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;

/**
 * The least a correct lock on a database needs: one {@code INSERT ... ON CONFLICT DO UPDATE ...
 * WHERE expired} (database clock; on MariaDB {@code ON DUPLICATE KEY UPDATE} with each assignment
 * conditional on the expiry) and one {@code DELETE} of the owner's row. It never waits: a lock
 * tries once whatever the timeout.
 */
final class RawJdbcTable implements LockTable {

    private final HikariDataSource pool;
    private final String upsert;
    private final String delete;

    RawJdbcTable(BenchDatabase database, String table) {
        if (database.isMariaDb()) {
            database.execute("CREATE TABLE IF NOT EXISTS " + table + " (name VARCHAR(255) PRIMARY KEY, owner"
                    + " VARCHAR(255) NOT NULL, expires_at DATETIME(6) NOT NULL) ENGINE=InnoDB");
            // Affected rows, not found rows: 1 inserted, 2 taken over, 0 refused (left as it was).
            pool = database.pool(Map.of("useAffectedRows", "true"));
            // The first assignment leaves expires_at as it was, so the second sees the same expiry.
            upsert = "INSERT INTO " + table + " (name, owner, expires_at) VALUES (?, ?, UTC_TIMESTAMP(6)"
                    + " + INTERVAL 30 SECOND) ON DUPLICATE KEY UPDATE"
                    + " owner = IF(expires_at <= UTC_TIMESTAMP(6), VALUES(owner), owner),"
                    + " expires_at = IF(expires_at <= UTC_TIMESTAMP(6), VALUES(expires_at), expires_at)";
        } else {
            database.execute("CREATE TABLE IF NOT EXISTS " + table + " (name text PRIMARY KEY, owner text NOT NULL,"
                    + " expires_at timestamptz NOT NULL)");
            pool = database.pool();
            upsert = "INSERT INTO " + table + " AS l (name, owner, expires_at) VALUES (?, ?, clock_timestamp()"
                    + " + INTERVAL '30 seconds') ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
                    + " expires_at = EXCLUDED.expires_at WHERE l.expires_at <= clock_timestamp()";
        }
        delete = "DELETE FROM " + table + " WHERE name = ? AND owner = ?";
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return update(upsert, resourceId, clientId);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        return update(delete, resourceId, clientId);
    }

    private boolean update(String sql, String resourceId, String clientId) {
        try (Connection connection = pool.getConnection();
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, resourceId);
            statement.setString(2, clientId);
            return statement.executeUpdate() >= 1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean waits() {
        return false;
    }

    @Override
    public void close() {
        pool.close();
    }
}
