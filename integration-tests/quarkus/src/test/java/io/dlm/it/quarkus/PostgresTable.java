package io.dlm.it.quarkus;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * A table of one test's own in the PostgreSQL of {@code scripts/services.sh}, where that test's
 * manager keeps its locks: the settings that put them there, and the table's removal afterwards.
 *
 * @param name the table's name
 */
record PostgresTable(String name) {

    private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";

    /**
     * The settings of a manager on this table, which it creates, with a test's own on top.
     *
     * @param more the test's own settings
     * @return all of them
     */
    Map<String, String> settings(Map<String, String> more) {
        Map<String, String> all = new HashMap<>(Map.of(
                "dlm.backend", "jdbc",
                "dlm.jdbc.url", URL,
                "dlm.jdbc.user", "postgres",
                "dlm.jdbc.table", name,
                "dlm.jdbc.create-table", "true"));
        all.putAll(more);
        return all;
    }

    /**
     * A session of the test's own, beside the manager's.
     *
     * @return a new connection
     * @throws SQLException if the database cannot be reached
     */
    static Connection connect() throws SQLException {
        return DriverManager.getConnection(URL, "postgres", "");
    }

    /**
     * Drops the table and the sequence of its tokens.
     *
     * @throws SQLException if the database cannot be reached
     */
    void drop() throws SQLException {
        try (Connection connection = connect();
                Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + name);
            statement.execute("DROP SEQUENCE IF EXISTS " + name + "_seq");
        }
    }
}
