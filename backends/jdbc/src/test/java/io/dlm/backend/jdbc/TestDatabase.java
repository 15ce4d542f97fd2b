package io.dlm.backend.jdbc;

import io.dlm.tck.Prerequisites;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * The databases the tests run on: the PostgreSQL and MariaDB servers of {@code scripts/services.sh}
 * on their standard ports (override with {@code -Ddlm.jdbc.test.<name>.url}), and H2 in memory.
 * Outside CI a test class skips when its server is down; in CI ({@code CI=true}) it fails.
 */
enum TestDatabase {
    POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/test", "postgres", ""),
    MARIADB("jdbc:mariadb://127.0.0.1:3306/test", "root", ""),
    // One named in-memory database per JVM, kept while the JVM lives, shared by all its managers.
    H2("jdbc:h2:mem:dlm-test-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1", "sa", "");

    private final String defaultUrl;
    private final String user;
    private final String password;

    TestDatabase(String defaultUrl, String user, String password) {
        this.defaultUrl = defaultUrl;
        this.user = user;
        this.password = password;
    }

    String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    String url() {
        return System.getProperty("dlm.jdbc.test." + id() + ".url", defaultUrl);
    }

    String user() {
        return user;
    }

    String password() {
        return password;
    }

    Dialect.Kind kind() {
        return Dialect.Kind.valueOf(name());
    }

    /** Skips (outside CI) or fails (in CI) unless the database answers. */
    void assumeAvailable() {
        try (Connection connection = connect()) {
            connection.isValid(2);
        } catch (SQLException e) {
            String message = "No " + name() + " at " + url() + " (" + e.getMessage()
                    + "); start it with `bash scripts/services.sh " + (this == POSTGRESQL ? "postgres" : "mariadb")
                    + "` or point -Ddlm.jdbc.test." + id() + ".url at one";
            throw Prerequisites.missing(message);
        }
    }

    /** A plain connection of the test's own, beside the backend under test. */
    Connection connect() throws SQLException {
        DriverManager.setLoginTimeout(5);
        return DriverManager.getConnection(url(), user, password);
    }

    /** A table name no other test class or rerun uses. */
    static String uniqueTable(String purpose) {
        return "dlm_" + purpose + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates a lock table with the DDL the module ships, as an operator would. */
    String createTable(String purpose) {
        String table = uniqueTable(purpose);
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String ddl : Dialect.of(kind(), TableName.parse(table)).schema()) {
                statement.execute(ddl);
            }
        } catch (SQLException e) {
            throw new AssertionError("could not create " + table + " on " + name(), e);
        }
        return table;
    }

    /** Drops a lock table and its sequence, if they exist. */
    void dropTable(String table) {
        try {
            execute("DROP TABLE IF EXISTS " + table, "DROP SEQUENCE IF EXISTS " + table + "_seq");
        } catch (SQLException e) {
            throw new AssertionError("could not drop " + table + " on " + name(), e);
        }
    }

    /** Runs statements in order on a connection of the test's own, each committed on its own. */
    void execute(String... statements) throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }

    /** Counts the rows of a table, free ones included. */
    long rows(String table) {
        return queryLong("SELECT COUNT(*) FROM " + table);
    }

    long queryLong(String sql) {
        try (Connection connection = connect();
                Statement statement = connection.createStatement();
                ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        } catch (SQLException e) {
            throw new AssertionError(sql, e);
        }
    }

    /** The settings that point a manager at this database and table. */
    Map<String, String> settings(String table) {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.url", url());
        settings.put("dlm.jdbc.user", user);
        settings.put("dlm.jdbc.password", password);
        settings.put("dlm.jdbc.table", table);
        return settings;
    }
}
