package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
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
