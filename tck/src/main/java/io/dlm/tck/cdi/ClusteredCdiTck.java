package io.dlm.tck.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.interceptor.LeadershipGranted;
import io.dlm.interceptor.LeadershipRevoked;
import io.dlm.tck.TckTimings;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The CDI rules that need several applications on one engine (S1, S2, S4): CDI SE containers in
 * one JVM act as the nodes of a cluster, each with DLM's extension and its own {@link LockManager}
 * on the same engine.
 *
 * <p>A job scheduled on two nodes runs once per tick (S1, S2): both call the same {@link
 * TckScheduledJob} every {@value #PERIOD_MILLIS} ms, the second node {@value #OFFSET_MILLIS} ms after
 * the first, as two servers whose schedules or clocks differ. The node that gets the lock runs the
 * job and holds the lock {@value TckScheduledJob#HOLD_MILLIS} ms; the other one skips. Without the
 * hold, both would run most ticks. It takes {@value #TICKS} periods.
 *
 * <p>A name in {@code dlm.leadership.names} is led by one node at a time, from its start-up to its
 * shutdown, with its {@code dlm.client-id}; observers hear it (S4). When the leader shuts down, it
 * resigns and another node is granted the name with a greater token.
 *
 * <p>A remote backend runs it with a subclass that names the engine and how to start a container:
 *
 * <pre>{@code
 * class RedisClusteredCdiTest extends ClusteredCdiTck {
 *     protected SeContainerInitializer node(String name) { return new Weld().containerId(name); }
 *     protected Map<String, String> settings() { return Map.of("dlm.backend", "redis", ...); }
 * }
 * }</pre>
 *
 * <p>The in-memory backend cannot run it: each of its managers is a lock space of its own (C1).
 */
public abstract class ClusteredCdiTck {

    /** How many ticks the nodes run. */
    static final int TICKS = 15;

    /** The nodes' period, in milliseconds. */
    static final long PERIOD_MILLIS = 2_000;

    /** How far the second node's schedule lags the first's, in milliseconds: a quarter of a tick. */
    static final long OFFSET_MILLIS = 500;

    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS);

    /** The leadership lease of the S4 nodes. */
    private static final Duration LEADERSHIP_LEASE = Duration.ofSeconds(2);

    /** The runtime's default {@code dlm.operation.timeout}. */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(5);

    /** For subclasses. */
    protected ClusteredCdiTck() {}

    /**
     * A CDI SE initializer for one node, with nothing added yet; each call's container must be able
     * to run beside the others in this JVM (Weld: {@code new Weld().containerId(name)}).
     *
     * @param name a name no other node uses
     * @return the initializer; the TCK disables discovery and adds its beans and DLM's extension
     */
    protected abstract SeContainerInitializer node(String name);

    /**
     * The settings that point every node's manager at the same engine: {@code dlm.backend} and the
     * backend's {@code dlm.*} keys (D1).
     *
     * @return the settings
     */
    protected abstract Map<String, String> settings();

    /**
     * S1, S2: over {@value #TICKS} ticks, every tick's job ran exactly once across both nodes, and
     * none twice.
     */
    @Test
    void S1_S2_jobScheduledOnTwoNodesRunsOncePerTick() throws Exception {
        String jobId = UUID.randomUUID().toString();
        Map<Long, List<String>> runs = new ConcurrentHashMap<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<SeContainer> nodes = new ArrayList<>();
        List<ScheduledExecutorService> schedulers = new ArrayList<>();
        try {
            for (String name : List.of("node-a", "node-b")) {
                // Each node's manager is open before the clock runs.
                nodes.add(CdiNodes.start(node(name + "-" + jobId), settings(), TckScheduledJob.class));
            }
            // Tick t is [origin + t periods, origin + (t + 1) periods): a common epoch for both nodes.
            long origin = System.nanoTime() + TICK_NANOS;
            for (int i = 0; i < nodes.size(); i++) {
                String name = i == 0 ? "node-a" : "node-b";
                TckScheduledJob job = nodes.get(i).select(TckScheduledJob.class).get();
                Runnable body = () -> runs.computeIfAbsent(
                                Math.floorDiv(System.nanoTime() - origin, TICK_NANOS),
                                tick -> new CopyOnWriteArrayList<>())
                        .add(name);
                ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
                schedulers.add(scheduler);
                long start = origin + TimeUnit.MILLISECONDS.toNanos(i * OFFSET_MILLIS);
                scheduler.scheduleAtFixedRate(
                        () -> {
                            try {
                                job.run(jobId, body);
                            } catch (Throwable t) {
                                failures.add(t);
                            }
                        },
                        start - System.nanoTime(),
                        TICK_NANOS,
                        TimeUnit.NANOSECONDS);
            }
            long end = origin + TICKS * TICK_NANOS;
            TimeUnit.NANOSECONDS.sleep(end - System.nanoTime()); // the schedule itself is under test
        } finally {
            // Not shutdownNow(): a firing due right at the end would be interrupted while it waits
            // for the lock and count as a failed call. shutdown() drops later firings and lets a
            // running one finish.
            schedulers.forEach(ScheduledExecutorService::shutdown);
            for (ScheduledExecutorService scheduler : schedulers) {
                scheduler.awaitTermination(10, TimeUnit.SECONDS);
            }
            nodes.forEach(SeContainer::close);
        }

        Map<Long, List<String>> byTick = new TreeMap<>(runs);
        assertThat(failures).as("calls that failed").isEmpty();
        assertThat(byTick)
                .as("runs by tick")
                .allSatisfy((tick, nodesThatRan) ->
                        assertThat(nodesThatRan).as("tick " + tick).hasSize(1));
        // The first and last ticks may be cut by start and end; every one between ran.
        for (long tick = 1; tick < TICKS - 1; tick++) {
            assertThat(byTick).as("runs by tick").containsKey(tick);
        }
    }

    /**
     * S4: a listed name is led from start-up with the node's client id, once however often it is
     * listed; at shutdown the node resigns, tells its observers, and the name is free at once.
     */
    @Test
    void S4_aListedNameIsLedFromStartUpWithTheClientIdAndResignedAtShutdown() {
        String name = "tck-s4-led-" + UUID.randomUUID();
        // A node that lists no name, to look at the engine (a node must deploy a bean of its own).
        SeContainer watcher = CdiNodes.start(node("s4-watcher-" + name), settings(), TckLeadershipLog.class);
        try {
            LockManager watching = watcher.select(LockManager.class).get();
            TckLeadershipLog log;
            LeadershipGranted term;
            SeContainer leader = startLeadershipNode(" " + name + " , ," + name, "tck-s4-leader");
            try {
                log = leader.select(TckLeadershipLog.class).get();
                term = await().atMost(TckTimings.scaled(OPERATION_TIMEOUT))
                        .until(() -> firstGrant(log), granted -> granted != null);
                assertThat(term.name()).isEqualTo(name);
                assertThat(term.clientId()).isEqualTo("tck-s4-leader");
                assertThat(watching.inspect(name))
                        .get()
                        .satisfies(holder -> assertThat(holder.clientId()).isEqualTo("tck-s4-leader"))
                        .extracting(LockInfo::fencingToken)
                        .isEqualTo(term.fencingToken());
                assertThat(log.events()).as("events while leading").containsExactly(term);
            } finally {
                leader.close();
            }
            assertThat(log.events())
                    .as("events once the node shut down")
                    .containsExactly(
                            term,
                            new LeadershipRevoked(
                                    name, "tck-s4-leader", term.fencingToken(), LeadershipRevoked.Reason.RESIGNED));
            assertThat(watching.inspect(name))
                    .as("the name after its leader resigned")
                    .isEmpty();
        } finally {
            watcher.close();
        }
    }

    /**
     * S4 across two nodes: while one leads the name the other waits, and when the leader shuts down
     * the other is granted the name with a greater token (F1).
     */
    @Test
    void S4_whenTheLeaderShutsDownAnotherNodeIsGrantedTheNameWithAGreaterToken() {
        String name = "tck-s4-handover-" + UUID.randomUUID();
        SeContainer first = startLeadershipNode(name, "tck-s4-first");
        SeContainer second = null;
        try {
            TckLeadershipLog firstLog = first.select(TckLeadershipLog.class).get();
            LeadershipGranted firstTerm = await().atMost(TckTimings.scaled(OPERATION_TIMEOUT))
                    .until(() -> firstGrant(firstLog), granted -> granted != null);

            second = startLeadershipNode(name, "tck-s4-second");
            TckLeadershipLog secondLog = second.select(TckLeadershipLog.class).get();
            LockManager secondManager = second.select(LockManager.class).get();
            assertThat(secondManager.inspect(name))
                    .get()
                    .extracting(LockInfo::clientId)
                    .isEqualTo("tck-s4-first");
            assertThat(secondLog.events())
                    .as("the second node's events while the first leads")
                    .isEmpty();

            first.close();
            LeadershipGranted secondTerm = await().atMost(TckTimings.scaled(LEADERSHIP_LEASE.plus(OPERATION_TIMEOUT)))
                    .until(() -> firstGrant(secondLog), granted -> granted != null);
            assertThat(secondTerm.clientId()).isEqualTo("tck-s4-second");
            assertThat(secondTerm.fencingToken()).isGreaterThan(firstTerm.fencingToken());
            assertThat(secondManager.inspect(name))
                    .get()
                    .satisfies(holder -> assertThat(holder.clientId()).isEqualTo("tck-s4-second"))
                    .extracting(LockInfo::fencingToken)
                    .isEqualTo(secondTerm.fencingToken());
        } finally {
            for (SeContainer node : new SeContainer[] {first, second}) {
                if (node != null && node.isRunning()) {
                    node.close();
                }
            }
        }
    }

    private SeContainer startLeadershipNode(String names, String clientId) {
        Map<String, String> settings = new HashMap<>(settings());
        settings.put("dlm.leadership.names", names);
        settings.put("dlm.leadership.lease", LEADERSHIP_LEASE.toMillis() + "ms");
        settings.put("dlm.client-id", clientId);
        return CdiNodes.start(node(clientId + "-" + UUID.randomUUID()), settings, TckLeadershipLog.class);
    }

    private static LeadershipGranted firstGrant(TckLeadershipLog log) {
        List<LeadershipGranted> granted = log.granted();
        return granted.isEmpty() ? null : granted.get(0);
    }
}
