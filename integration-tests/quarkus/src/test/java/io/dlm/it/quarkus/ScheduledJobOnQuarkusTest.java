package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockManager;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * S1, S2 under the platform's own scheduler: Quarkus's {@code @Scheduled} fires {@link
 * ScheduledNodes}' three nodes every four seconds, two at the same instant and one {@value
 * ScheduledNodes#LATE_MILLIS} ms later, and each tick's job runs on exactly one of them. Without
 * the {@value ScheduledReport#HOLD_MILLIS} ms hold the late node would run it again most ticks.
 *
 * <p>The engine is the PostgreSQL of {@code scripts/services.sh}, on a table of this test's own.
 * The scheduler starts halted and fires only once the manager is warm: a first call that spends
 * more than the hold's margin on cold code (the pool's first connection, the JIT) holds the lock
 * into the next tick, which is the arithmetic of a late firing, not what this test is about.
 */
@QuarkusTest
@TestProfile(ScheduledJobOnQuarkusTest.ScheduledOnPostgres.class)
class ScheduledJobOnQuarkusTest {

    static final PostgresTable TABLE = new PostgresTable("dlm_it_quarkus_scheduled");

    /** How many ticks every node must have fired for. */
    static final int TICKS = 10;

    /** The manager on PostgreSQL, and the nodes' schedules switched on. */
    public static class ScheduledOnPostgres implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return TABLE.settings(
                    Map.of("it.scheduled-report.cron", "*/4 * * * * ?", "quarkus.scheduler.start-mode", "halted"));
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
        TABLE.drop();
    }

    @Test
    void S1_S2_aJobScheduledOnThreeNodesRunsOncePerTick() {
        SortedSet<Long> ticks;
        Map<Long, List<String>> runs;
        warmUp();
        assertThat(nodes.called()).as("calls before the scheduler was resumed").isEmpty();
        scheduler.resume();
        try {
            // Ticks are every fourth second of the wall clock; a tick counts once every node's call returned.
            ticks = await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(200))
                    .until(this::ticksEveryNodeCalledFor, done -> done.size() >= TICKS);
            runs = report.runs();
        } finally {
            // Stops the nodes before the table goes, and lets the last hold end.
            scheduler.pause();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> manager.inspect(ScheduledReport.RESOURCE).isEmpty());
        }

        assertThat(nodes.failures()).as("calls that threw").isEmpty();
        Map<Long, List<String>> timings = new TreeMap<>(nodes.timings());
        assertThat(runs)
                .as("runs by tick; the calls: %s", timings)
                .allSatisfy((tick, ran) -> assertThat(ran).as("tick " + tick).hasSize(1));
        assertThat(runs).as("runs by tick; the calls: %s", timings).containsKeys(ticks.toArray(Long[]::new));
    }

    /** Sends the job's own lock through the manager a few times, so that the first tick finds it warm. */
    private void warmUp() {
        for (int round = 0; round < 20; round++) {
            assertThat(manager.lock(ScheduledReport.RESOURCE, "warm-up", 1_000)).as("warm-up round " + round).isTrue();
            assertThat(manager.inspect(ScheduledReport.RESOURCE)).isPresent();
            assertThat(manager.unlock(ScheduledReport.RESOURCE, "warm-up")).isTrue();
        }
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
