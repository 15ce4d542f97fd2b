package io.dlm.tck.cdi;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import jakarta.enterprise.inject.se.SeContainer;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import jakarta.enterprise.inject.spi.Extension;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A job scheduled on two nodes runs once per tick (S1, S2): two CDI SE containers in one JVM, each
 * with its own {@link LockManager} on the same engine, call the same {@link TckScheduledJob} every
 * second, the second node {@value #OFFSET_MILLIS} ms after the first, as two servers whose
 * schedules or clocks differ. The node that gets the lock runs the job and holds the lock {@value
 * TckScheduledJob#HOLD_MILLIS} ms; the other one skips. Without the hold, both would run most
 * ticks.
 *
 * <p>A remote backend runs it with a subclass that names the engine and how to start a container:
 *
 * <pre>{@code
 * class RedisScheduledJobTest extends ScheduledJobCdiTck {
 *     protected SeContainerInitializer node(String name) { return new Weld().containerId(name); }
 *     protected Map<String, String> settings() { return Map.of("dlm.backend", "redis", ...); }
 * }
 * }</pre>
 *
 * <p>It takes about {@value #TICKS} seconds. The settings are set as system properties while the
 * containers start, since the DLM extension reads MicroProfile Config or, without it, the system
 * properties.
 */
public abstract class ScheduledJobCdiTck {

    /** How many ticks the nodes run. */
    static final int TICKS = 30;

    /** How far the second node's schedule lags the first's, in milliseconds: under half a tick. */
    static final long OFFSET_MILLIS = 400;

    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** For subclasses. */
    protected ScheduledJobCdiTck() {}

    /**
     * A CDI SE initializer for one node, with nothing added yet; each call's container must be able
     * to run beside the others in this JVM (Weld: {@code new Weld().containerId(name)}).
     *
     * @param name a name no other node uses
     * @return the initializer; the TCK disables discovery and adds the job and DLM's extension
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
        Map<String, String> previous = setSystemProperties(settings());
        try {
            for (String name : List.of("node-a", "node-b")) {
                SeContainer node = start(name + "-" + jobId);
                nodes.add(node);
                // Opens the node's manager now, while the settings are set, and before the clock runs.
                node.select(LockManager.class).get().inspect("tck-job-" + jobId);
            }
            // Tick t is [origin + t s, origin + (t + 1) s): a common epoch for both nodes.
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
            restoreSystemProperties(previous);
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

    private SeContainer start(String name) {
        SeContainerInitializer initializer = node(name).disableDiscovery().addBeanClasses(TckScheduledJob.class);
        // With discovery off, CDI SE loads no extension from META-INF/services: add DLM's.
        ServiceLoader.load(Extension.class).stream()
                .filter(provider -> provider.type().getName().startsWith("io.dlm."))
                .forEach(provider -> initializer.addExtensions(provider.get()));
        return initializer.initialize();
    }

    private static Map<String, String> setSystemProperties(Map<String, String> settings) {
        Map<String, String> previous = new HashMap<>();
        settings.forEach((key, value) -> previous.put(key, System.setProperty(key, value)));
        return previous;
    }

    private static void restoreSystemProperties(Map<String, String> previous) {
        previous.forEach((key, value) -> {
            if (value == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, value);
            }
        });
    }
}
