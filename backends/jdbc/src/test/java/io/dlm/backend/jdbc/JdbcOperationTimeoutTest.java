package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 18 on JDBC, what only a database server shows: a statement whose operation timed out is
 * ended on the server too. The least operation timeout (250 ms with a pool of DLM's own) is the
 * TCK's tier, per database: {@link PostgresOperationTimeoutTest}, {@link
 * MariaDbOperationTimeoutTest}, {@link H2OperationTimeoutTest}.
 */
class JdbcOperationTimeoutTest {

    @ParameterizedTest
    @EnumSource(
            value = TestDatabase.class,
            names = {"POSTGRESQL", "MARIADB"})
    void theServerEndsAStatementThatOutlivesItsOperation(TestDatabase database) throws Exception {
        database.assumeAvailable();
        String table = database.createTable("stuck");
        try {
            Map<String, String> settings = database.settings(table);
            settings.put("dlm.operation.timeout", "1s");
            try (LockManager manager = LockManagers.open("jdbc", settings);
                    Connection foreign = database.connect()) {
                assertThat(manager.lock("r", "c", 0)).isTrue();
                // Another application's transaction keeps the row locked, longer than any timeout here.
                foreign.setAutoCommit(false);
                try (Statement statement = foreign.createStatement()) {
                    statement
                            .executeQuery("SELECT client_id FROM " + table + " FOR UPDATE")
                            .close();
                }
                assertThatThrownBy(() -> manager.unlock("r", "c"))
                        .isInstanceOf(LockException.class)
                        .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR));
                // The client gave up; the server must not keep the statement waiting for the row
                // (on MariaDB until innodb_lock_wait_timeout, 50 s): left there, it would apply
                // later than its caller was told (X1, X5).
                Awaitility.await("the release statement ended on the server")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> statementsOn(database, foreign, table) == 0);
                foreign.rollback();
            }
        } finally {
            database.dropTable(table);
        }
    }

    /** How many statements of other sessions that name the table run on the server now. */
    private static int statementsOn(TestDatabase database, Connection observer, String table) throws Exception {
        String sql = database == TestDatabase.MARIADB
                ? "SELECT count(*) FROM information_schema.processlist WHERE id <> CONNECTION_ID()"
                        + " AND command <> 'Sleep' AND info LIKE ?"
                : "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state = 'active'"
                        + " AND query LIKE ?";
        try (PreparedStatement statement = observer.prepareStatement(sql)) {
            statement.setString(1, "%UPDATE " + table + "%");
            try (ResultSet rows = statement.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }
}
