package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.smallrye.health.SmallRyeHealthReporter;
import jakarta.inject.Inject;
import jakarta.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * O2 on Quarkus: ArC finds dlm-health's readiness check beside the manager that the build
 * compatible extension produces, and SmallRye Health reports it: UP while the engine answers, DOWN
 * once the manager's calls have failed for an operation timeout, UP again at the next answer.
 *
 * <p>The engine is the PostgreSQL of {@code scripts/services.sh}, made to stop answering the way a
 * database does: another session holds an exclusive lock on DLM's table, so every statement waits
 * until the operation timeout ends it. (Not Redis: Lettuce 7 needs Netty 4.2 and Quarkus's BOM
 * pins Netty 4.1; see docs/backends/redis.md.)
 */
@QuarkusTest
@TestProfile(ReadinessOnQuarkusTest.OnPostgres.class)
class ReadinessOnQuarkusTest {

    static final PostgresTable TABLE = new PostgresTable("dlm_it_quarkus_readiness");

    /** The manager on PostgreSQL, on a table of this test's own, with a short operation timeout. */
    public static class OnPostgres implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TABLE.settings(Map.of("dlm.operation.timeout", "3s"));
        }
    }

    @Inject
    LockManager manager;

    @Inject
    SmallRyeHealthReporter health;

    @AfterAll
    static void dropTable() throws Exception {
        TABLE.drop();
    }

    @Test
    void O2_upWhileTheDatabaseAnswers_downOnceItHasNotForAnOperationTimeout_upAgainAfter() throws Exception {
        String resource = "readiness-" + UUID.randomUUID();
        assertThat(manager.lock(resource, "client", 0)).isTrue();
        assertThat(manager.unlock(resource, "client")).isTrue();
        assertThat(dlmCheck().getString("status")).isEqualTo("UP");
        assertThat(data().getString("default.state")).isEqualTo("open");
        assertThat(data().getString("default.backend")).isEqualTo("jdbc");

        try (Connection blocker = PostgresTable.connect();
                Statement statement = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            statement.execute("LOCK TABLE " + TABLE.name() + " IN ACCESS EXCLUSIVE MODE");
            // Each call now waits for the table until the operation timeout ends it: a failure.
            Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                callIgnoringFailure(resource);
                assertThat(dlmCheck().getString("status")).isEqualTo("DOWN");
            });
            assertThat(data().getString("default.status")).isEqualTo("DOWN");
            assertThat(data().containsKey("default.lastFailure")).isTrue();
            assertThat(health.getReadiness().getPayload().getString("status")).isEqualTo("DOWN");
            blocker.rollback();
        }

        Awaitility.await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            callIgnoringFailure(resource);
            assertThat(dlmCheck().getString("status")).isEqualTo("UP");
        });
    }

    private void callIgnoringFailure(String resource) {
        try {
            manager.inspect(resource);
        } catch (LockException expectedWhileBlocked) {
            // counted by the manager as a failed engine call, which is what the check reads
        }
    }

    private JsonObject data() {
        return dlmCheck().getJsonObject("data");
    }

    private JsonObject dlmCheck() {
        JsonObject readiness = health.getReadiness().getPayload();
        return readiness.getJsonArray("checks").stream()
                .map(JsonObject.class::cast)
                .filter(check -> check.getString("name").equals("dlm"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no check named dlm in " + readiness));
    }
}
