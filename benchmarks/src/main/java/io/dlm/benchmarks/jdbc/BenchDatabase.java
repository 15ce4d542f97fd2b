package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The database the JDBC benchmarks run on: {@code -Ddlm.bench.jdbc.url} (default
 * {@code jdbc:postgresql://127.0.0.1:5432/test}; a {@code jdbc:mariadb:} URL runs them on MariaDB),
 * {@code -Ddlm.bench.jdbc.user} (default {@code postgres}) and {@code -Ddlm.bench.jdbc.password}
 * (default empty). Every implementation
 * gets the same pool settings and a table of its own, dropped at the end of the trial.
 */
final class BenchDatabase {

    /** Connections per pool: as many as the largest benchmark group has threads, plus a spare. */
    static final int POOL_SIZE = 10;

    private BenchDatabase() {}

    static String url() {
        return System.getProperty("dlm.bench.jdbc.url", "jdbc:postgresql://127.0.0.1:5432/test");
    }

    static String user() {
        return System.getProperty("dlm.bench.jdbc.user", "postgres");
    }

    static String password() {
        return System.getProperty("dlm.bench.jdbc.password", "");
    }

    /**
     * Whether the URL points at MariaDB, whose peers need their own SQL (ShedLock's MySQL schema,
     * the raw minimum's {@code ON DUPLICATE KEY UPDATE}); otherwise PostgreSQL.
     */
    static boolean mariaDb() {
        return url().startsWith("jdbc:mariadb:") || url().startsWith("jdbc:mysql:");
    }

    /** A table name that no other trial uses. */
    static String uniqueTable(String purpose) {
        return "bench_" + purpose + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A HikariCP pool as DLM builds its own: same size, auto-commit. */
    static HikariDataSource pool() {
        return pool(Map.of());
    }

    /**
     * A pool as {@link #pool()}, with driver properties of its own.
     *
     * @param driverProperties e.g. MariaDB's {@code useAffectedRows}
     * @return the pool
     */
    static HikariDataSource pool(Map<String, String> driverProperties) {
        HikariConfig config = new HikariConfig();
        driverProperties.forEach(config::addDataSourceProperty);
        config.setJdbcUrl(url());
        config.setUsername(user());
        config.setPassword(password());
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setAutoCommit(true);
        return new HikariDataSource(config);
    }

    /** The settings of a DLM manager on a table of its own, created on start. */
    static Map<String, String> dlmSettings(String table) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.url", url());
        settings.put("dlm.jdbc.user", user());
        settings.put("dlm.jdbc.password", password());
        settings.put("dlm.jdbc.table", table);
        settings.put("dlm.jdbc.create-table", "true");
        settings.put("dlm.jdbc.pool-size", Integer.toString(POOL_SIZE));
        return settings;
    }

    /** Runs DDL on a connection of a short-lived pool. */
    static void execute(String... statements) {
        try (HikariDataSource pool = pool();
                Connection connection = pool.getConnection();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DDL failed on " + url(), e);
        }
    }
}
