package io.dlm.cli;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/** The commands against PostgreSQL, each test in a lock table of its own that the backend creates. */
class PostgresCommandsTest extends EngineCommandsContract {

    private final String table = "dlm_cli_" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void server() {
        TestServers.assumePostgres();
    }

    @Override
    void afterManagersClosed() throws SQLException {
        try (Connection connection = DriverManager.getConnection(TestServers.POSTGRES_URL, "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + table);
            statement.execute("DROP SEQUENCE IF EXISTS " + table + "_seq");
        }
    }

    @Override
    String backend() {
        return "jdbc";
    }

    @Override
    Map<String, String> settings() {
        return Map.of(
                "dlm.jdbc.url",
                TestServers.POSTGRES_URL,
                "dlm.jdbc.user",
                "postgres",
                "dlm.jdbc.table",
                table,
                "dlm.jdbc.create-table",
                "true");
    }
}
