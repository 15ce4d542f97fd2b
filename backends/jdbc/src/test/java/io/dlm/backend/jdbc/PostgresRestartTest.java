package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The database crashes while locks are held and waited for (X1, X4, F1): every call fails with
 * {@code INTERNAL_ERROR} within the operation timeout, never hangs; once the database is back, the
 * lock held before is still held by the same client with the same token (not lost, not doubled),
 * and the next acquisition gets a larger token.
 */
class PostgresRestartTest {

    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);

    private PrivatePostgres server;
    private String table = TestDatabase.uniqueTable("restart");
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @BeforeEach
    void startServer() throws Exception {
        server = PrivatePostgres.start();
        try (Connection connection = DriverManager.getConnection(server.url(), "postgres", "");
                Statement statement = connection.createStatement()) {
            for (String ddl :
                    Dialect.of(Dialect.Kind.POSTGRESQL, TableName.parse(table)).schema()) {
                statement.execute(ddl);
            }
        }
    }

    @AfterEach
    void stopServer() throws Exception {
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        if (server != null) {
            server.close();
        }
    }

    private LockManager open() {
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.url", server.url());
        settings.put("dlm.jdbc.user", "postgres");
        settings.put("dlm.jdbc.table", table);
        settings.put("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms");
        settings.put("dlm.lease.min", "120s");
        return LockManagers.open("jdbc", settings);
    }

    @Test
    void crashFailsCallsPromptlyAndRecoveryKeepsTheLockExactlyOnce() throws Exception {
        try (LockManager holding = open();
                LockManager other = open()) {
            assertThat(holding.lock("r", "holder", 0)).isTrue();
            LockInfo before = holding.inspect("r").orElseThrow();
            Future<Boolean> waiter = threads.submit(() -> other.lock("r", "waiter", 60_000));
            await().atMost(Duration.ofSeconds(10)).until(() -> server != null && listenerCount() == 1);

            server.crash();

            // The waiter learns of the failure from its watch and its next try, not at its timeout.
            Throwable waited =
                    catchThrowable(() -> waiter.get(OPERATION_TIMEOUT.toMillis() * 5, TimeUnit.MILLISECONDS));
            assertThat(waited).hasCauseInstanceOf(LockException.class);
            assertThat(((LockException) waited.getCause()).error()).isEqualTo(LockError.INTERNAL_ERROR);
            assertFailsPromptly(() -> holding.heartbeat("r", "holder"));
            assertFailsPromptly(() -> other.lock("r", "waiter", 0));
            assertFailsPromptly(() -> other.inspect("r"));
            assertFailsPromptly(() -> holding.unlock("r", "holder"));

            server.startServer();

            // Back: the first calls may meet connections the crash broke; the pool replaces them.
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreExceptionsInstanceOf(LockException.class)
                    .until(() -> other.inspect("r").isPresent());
            LockInfo after = other.inspect("r").orElseThrow();
            assertThat(after.clientId()).as("holder after the crash").isEqualTo("holder");
            assertThat(after.fencingToken()).isEqualTo(before.fencingToken());
            assertThat(other.lock("r", "waiter", 0)).as("a second holder").isFalse();
            await().atMost(Duration.ofSeconds(10))
                    .ignoreExceptionsInstanceOf(LockException.class)
                    .until(() -> holding.heartbeat("r", "holder"));
            assertThat(holding.unlock("r", "holder")).isTrue();
            assertThat(other.lock("r", "waiter", 0)).isTrue();
            assertThat(other.inspect("r").orElseThrow().fencingToken())
                    .as("token after the crash")
                    .isGreaterThan(before.fencingToken());
        }
    }

    private static void assertFailsPromptly(ThrowingCallable call) {
        long start = System.nanoTime();
        Throwable thrown = catchThrowable(call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(thrown).isInstanceOf(LockException.class);
        assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);
        assertThat(thrown.getCause()).as("cause").isNotNull();
        assertThat(took).as("time to fail").isLessThan(OPERATION_TIMEOUT.plusSeconds(2));
    }

    private long listenerCount() throws Exception {
        try (Connection connection = DriverManager.getConnection(server.url(), "postgres", "");
                Statement statement = connection.createStatement();
                var row = statement.executeQuery("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '"
                        + Connections.listenerName(TableName.parse(table)) + "'")) {
            row.next();
            return row.getLong(1);
        }
    }
}
