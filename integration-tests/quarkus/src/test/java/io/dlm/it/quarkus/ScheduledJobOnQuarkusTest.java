package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockManager;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * S1, S2 under the platform's own scheduler: Quarkus's {@code @Scheduled} fires {@link
 * ScheduledNodes}' three nodes every two seconds, two at the same instant and one {@value
 * ScheduledNodes#LATE_MILLIS} ms later, and each tick's job runs on exactly one of them. Without
 * the {@value ScheduledReport#HOLD_MILLIS} ms hold the late node would run it again most ticks.
 *
 * <p>The engine is the PostgreSQL of {@code scripts/services.sh}, on a table of this test's own.
 */
@QuarkusTest
@TestProfile(ScheduledJobOnQuarkusTest.ScheduledOnPostgres.class)
class ScheduledJobOnQuarkusTest {

    static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
    static final String TABLE = "dlm_it_quarkus_scheduled";

    /** How many ticks every node must have fired for. */
    static final int TICKS = 12;

    /** The manager on PostgreSQL, and the nodes' schedules switched on. */
    public static class ScheduledOnPostgres implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "dlm.backend", "jdbc",
                    "dlm.jdbc.url", URL,
                    "dlm.jdbc.user", "postgres",
                    "dlm.jdbc.table", TABLE,
                    "dlm.jdbc.create-table", "true",
                    "it.scheduled-report.cron", "*/2 * * * * ?");
        }
    }

    @Inject
    ScheduledNodes nodes;

    @Inject
    ScheduledReport report;

    @Inject
    Scheduler scheduler;

    @Inject
    LockManager manager;

    @AfterAll
    static void dropTable() throws Exception {
        try (Connection connection = DriverManager.getConnection(URL, "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + TABLE);
            statement.execute("DROP SEQUENCE IF EXISTS " + TABLE + "_seq");
        }
    }

    @Test
    void S1_S2_aJobScheduledOnThreeNodesRunsOncePerTick() {
        SortedSet<Long> ticks;
        Map<Long, List<String>> runs;
        try {
            // Ticks are the even seconds of the wall clock; a tick counts once every node's call returned.
            ticks = await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(this::ticksEveryNodeCalledFor, done -> done.size() >= TICKS);
            runs = report.runs();
        } finally {
            // Stops the nodes before the table goes, and lets the last hold end.
            scheduler.pause();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> manager.inspect("quarkus-scheduled-report").isEmpty());
        }

        assertThat(nodes.failures()).as("calls that threw").isEmpty();
        assertThat(runs)
                .as("runs by tick")
                .allSatisfy((tick, ran) -> assertThat(ran).as("tick " + tick).hasSize(1));
        assertThat(runs).as("runs by tick").containsKeys(ticks.toArray(Long[]::new));
    }

    private SortedSet<Long> ticksEveryNodeCalledFor() {
        SortedSet<Long> done = new TreeSet<>();
        nodes.called().forEach((tick, called) -> {
            if (called.containsAll(ScheduledNodes.NAMES)) {
                done.add(tick);
            }
        });
        return done;
    }
}
