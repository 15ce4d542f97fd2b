package io.dlm.benchmarks.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * A database the JDBC benchmarks run on, by URL, user and password. {@link #configured()} is that
 * of {@code -Ddlm.bench.jdbc.url} (default {@code jdbc:postgresql://127.0.0.1:5432/test}; a {@code
 * jdbc:mariadb:} URL runs on MariaDB), {@code -Ddlm.bench.jdbc.user} (default {@code postgres})
 * and {@code -Ddlm.bench.jdbc.password} (default empty); {@link #configuredMariaDb()} reads {@code
 * -Ddlm.bench.mariadb.url}, {@code .user} and {@code .password} the same way, with defaults {@code
 * jdbc:mariadb://127.0.0.1:3306/test} and {@code root}. Every implementation gets the same pool
 * settings.
 */
record BenchDatabase(String url, String user, String password) {

    /** Connections per pool: as many as the largest benchmark group has threads, plus a spare. */
    static final int POOL_SIZE = 10;

    /** The database of {@code -Ddlm.bench.jdbc.*}, PostgreSQL unless its URL says otherwise. */
    static BenchDatabase configured() {
        return fromProperties("dlm.bench.jdbc", "jdbc:postgresql://127.0.0.1:5432/test", "postgres");
    }

    /** The MariaDB of {@code -Ddlm.bench.mariadb.*}. */
    static BenchDatabase configuredMariaDb() {
        return fromProperties("dlm.bench.mariadb", "jdbc:mariadb://127.0.0.1:3306/test", "root");
    }

    private static BenchDatabase fromProperties(String prefix, String url, String user) {
        return new BenchDatabase(
                System.getProperty(prefix + ".url", url),
                System.getProperty(prefix + ".user", user),
                System.getProperty(prefix + ".password", ""));
    }

    /**
     * The same database reached through another URL, e.g. one with driver properties added.
     *
     * @param otherUrl the URL
     * @return the database
     */
    BenchDatabase withUrl(String otherUrl) {
        return new BenchDatabase(otherUrl, user, password);
    }

    /**
     * Whether the URL points at MariaDB, whose peers need their own SQL (ShedLock's MySQL schema,
     * the raw minimum's {@code ON DUPLICATE KEY UPDATE}); otherwise PostgreSQL.
     */
    boolean isMariaDb() {
        return url.startsWith("jdbc:mariadb:") || url.startsWith("jdbc:mysql:");
    }

    /** A HikariCP pool as DLM builds its own: same size, auto-commit. */
    HikariDataSource pool() {
        return pool(Map.of());
    }

    /**
     * A pool as {@link #pool()}, with driver properties of its own.
     *
     * @param driverProperties e.g. MariaDB's {@code useAffectedRows}
     * @return the pool
     */
    HikariDataSource pool(Map<String, String> driverProperties) {
        HikariConfig config = new HikariConfig();
        driverProperties.forEach(config::addDataSourceProperty);
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        config.setAutoCommit(true);
        return new HikariDataSource(config);
    }

    /** The settings of a DLM manager on a table of its own, created on start. */
    Map<String, String> dlmSettings(String table) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.url", url);
        settings.put("dlm.jdbc.user", user);
        settings.put("dlm.jdbc.password", password);
        settings.put("dlm.jdbc.table", table);
        settings.put("dlm.jdbc.create-table", "true");
        settings.put("dlm.jdbc.pool-size", Integer.toString(POOL_SIZE));
        return settings;
    }

    /** Runs DDL on a connection of a short-lived pool. */
    void execute(String... statements) {
        try (HikariDataSource pool = pool();
                Connection connection = pool.getConnection();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("DDL failed on " + url, e);
        }
    }
}
