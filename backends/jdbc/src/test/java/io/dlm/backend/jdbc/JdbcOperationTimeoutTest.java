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
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue 18 on JDBC: with a pool of DLM's own ({@code dlm.jdbc.url}) the shortest {@code
 * dlm.operation.timeout} is 250 ms, HikariCP's least wait for a connection; it works against each
 * database, and a shorter one fails {@code open} naming the key and the least value, before the
 * pool is built.
 */
class JdbcOperationTimeoutTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void locksWorkWithTheShortestOperationTimeout(TestDatabase database) {
        database.assumeAvailable();
        String table = database.createTable("timeout");
        try {
            Map<String, String> settings = database.settings(table);
            settings.put("dlm.operation.timeout", "250ms");
            try (LockManager manager = LockManagers.open("jdbc", settings)) {
                // A call on a busy host may take longer than the timeout and fail (X1): one round
                // that succeeds shows that the pool's settings do not stand in the way.
                Awaitility.await("lock, inspect and unlock within 250 ms each")
                        .atMost(Duration.ofSeconds(60))
                        .ignoreException(LockException.class)
                        .until(() -> aRoundWorks(manager));
            }
        } finally {
            database.dropTable(table);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aShorterOneFailsOpenNamingTheKeyAndTheLeast(TestDatabase database) {
        Map<String, String> settings = database.settings("dlm_never_created");
        settings.put("dlm.operation.timeout", "249ms");
        assertThatThrownBy(() -> LockManagers.open("jdbc", settings))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.operation.timeout")
                .hasMessageContaining("250ms");
    }

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

    /** One lock, inspection and release of a fresh resource; {@code true} when all did as asked. */
    private static boolean aRoundWorks(LockManager manager) {
        String resource = "r-" + UUID.randomUUID();
        return manager.lock(resource, "c", 0)
                && manager.inspect(resource)
                        .filter(info -> info.clientId().equals("c"))
                        .isPresent()
                && manager.unlock(resource, "c")
                && manager.inspect(resource).isEmpty();
    }
}
