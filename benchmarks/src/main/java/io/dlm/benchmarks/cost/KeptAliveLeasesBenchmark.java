package io.dlm.benchmarks.cost;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.benchmarks.EngineProcess;
import io.dlm.benchmarks.Memory;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What keeping leases alive costs as their number grows: one manager holds {@code leases} leases
 * of {@link #LEASE} on distinct resources, each taken with {@code tryAcquire} and kept alive with
 * {@code keepAlive()} (a renewal every third of the lease, the default), the form of {@link
 * io.dlm.benchmarks.keepalive.KeepAliveLoad}'s first phase with the number of leases as a
 * parameter. The operation is a quiet window of {@link #WINDOW}, in which the benchmark's thread
 * only sleeps, so its score is that window's length and nothing else; the figures are the
 * secondary results that {@link CostProfiler} reports for each window:
 *
 * <ul>
 *   <li>{@code renewalsPerSecond}: renewals the engine received (memory: counted at the backend,
 *       {@link CountingMemoryProvider}; Redis: scripts run by a server of the trial's own, from
 *       {@code INFO commandstats}, as nothing else talks to it).
 *   <li>{@code processCpuMicrosPerLeaseSecond} and {@code dlmCpuMicrosPerLeaseSecond}: CPU time of
 *       the whole client process, and of the manager's own {@code dlm-*} threads, per lease per
 *       second of the window; {@code engineCpuMicrosPerLeaseSecond} the Redis server's.
 *   <li>{@code heapBytesPerLease}: the client's heap with the leases held less before, per lease.
 *   <li>{@code lostLeases}: leases no longer valid at the end of the window; must be 0.
 * </ul>
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.cost.KeptAliveLeasesBenchmark \
 *     -f 1 -wi 1 -i 2 -prof io.dlm.benchmarks.cost.CostProfiler
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KeptAliveLeasesBenchmark {

    /** Every lease's length: renewed every 10 s, so 100,000 leases send 10,000 renewals a second. */
    static final Duration LEASE = Duration.ofSeconds(30);

    /** One window: a whole renewal period, so each lease renews about once in it. */
    static final Duration WINDOW = Duration.ofSeconds(10);

    private static final String CLIENT = "cost-keepalive";
    private static final int SETUP_THREADS = 16;

    /** The engines this benchmark keeps leases on. */
    public enum Engine {
        /** The in-memory backend, renewed inline on the runtime's keep-alive thread. */
        MEMORY,
        /** The redis backend on a server of the trial's own, renewed asynchronously. */
        REDIS
    }

    @Param({"MEMORY", "REDIS"})
    Engine engine;

    @Param({"1000", "10000", "100000"})
    int leases;

    private LockManager manager;
    private LongSupplier renewals;
    private LongSupplier engineCpuNanos;
    private @Nullable EngineProcess server;
    private @Nullable RedisClient admin;
    private Lease[] held;

    private long windowStart;
    private long renewalsAtStart;
    private long processCpuAtStart;
    private long dlmCpuAtStart;
    private long engineCpuAtStart;

    /**
     * Opens the manager and takes the leases, each kept alive.
     *
     * @throws Exception if a lease cannot be taken
     */
    @Setup(Level.Trial)
    public void keepLeases() throws Exception {
        if (engine == Engine.MEMORY) {
            CountingMemoryProvider provider = new CountingMemoryProvider();
            manager = LockManagers.open(provider, Map.of());
            renewals = provider::renewals;
            engineCpuNanos = () -> 0;
        } else {
            EngineProcess redis = EngineProcess.redis();
            server = redis;
            String uri = "redis://127.0.0.1:" + redis.port();
            RedisClient client = RedisClient.create(RedisURI.create(uri));
            admin = client;
            StatefulRedisConnection<String, String> connection = client.connect();
            manager = LockManagers.open("redis", Map.of("dlm.redis.uri", uri, "dlm.redis.key-prefix", "dlm-cost-ka:"));
            renewals = () -> scriptCalls(connection.sync().info("commandstats"));
            engineCpuNanos = () -> processCpuNanos(redis.pid());
        }
        String[] resources = new String[leases];
        for (int i = 0; i < leases; i++) {
            resources[i] = "kept-" + i;
        }
        held = new Lease[leases];
        long heapBefore = Memory.usedHeap();
        takeAll(resources);
        CostReadings.put("heapBytesPerLease", (double) (Memory.usedHeap() - heapBefore) / leases, "B/lease");
    }

    private void takeAll(String[] resources) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(SETUP_THREADS);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < SETUP_THREADS; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    for (int i = first; i < resources.length; i += SETUP_THREADS) {
                        Optional<Lease> lease = manager.tryAcquire(resources[i], CLIENT, Duration.ZERO, LEASE);
                        held[i] = lease.orElseThrow(() -> new IllegalStateException("a resource was not free"))
                                .keepAlive();
                    }
                    return null;
                }));
            }
            for (Future<?> part : parts) {
                part.get();
            }
        } finally {
            pool.shutdown();
        }
    }

    /** Reads the counters at the start of a window. */
    @Setup(Level.Iteration)
    public void startWindow() {
        renewalsAtStart = renewals.getAsLong();
        processCpuAtStart = processCpuNanos();
        dlmCpuAtStart = dlmThreadsCpuNanos();
        engineCpuAtStart = engineCpuNanos.getAsLong();
        windowStart = System.nanoTime();
    }

    /**
     * A quiet window in which only the keep-alive works.
     *
     * @throws InterruptedException if interrupted
     */
    @Benchmark
    public void keepAliveWindow() throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(WINDOW.toNanos());
    }

    /** Turns the counters' change over the window into the figures. */
    @TearDown(Level.Iteration)
    public void endWindow() {
        double seconds = (System.nanoTime() - windowStart) / 1e9;
        double leaseSeconds = leases * seconds;
        CostReadings.put("renewalsPerSecond", (renewals.getAsLong() - renewalsAtStart) / seconds, "renewals/s");
        CostReadings.put(
                "processCpuMicrosPerLeaseSecond",
                (processCpuNanos() - processCpuAtStart) / 1e3 / leaseSeconds,
                "us/lease/s");
        CostReadings.put(
                "dlmCpuMicrosPerLeaseSecond",
                (dlmThreadsCpuNanos() - dlmCpuAtStart) / 1e3 / leaseSeconds,
                "us/lease/s");
        if (engine == Engine.REDIS) {
            CostReadings.put(
                    "engineCpuMicrosPerLeaseSecond",
                    (engineCpuNanos.getAsLong() - engineCpuAtStart) / 1e3 / leaseSeconds,
                    "us/lease/s");
        }
        int lost = 0;
        for (Lease lease : held) {
            if (!lease.isValid()) {
                lost++;
            }
        }
        CostReadings.put("lostLeases", lost, "leases");
    }

    /** Releases every lease and stops the engine the trial started. */
    @TearDown(Level.Trial)
    public void close() {
        try {
            manager.close();
        } finally {
            if (admin != null) {
                admin.shutdown(Duration.ZERO, Duration.ofSeconds(5));
            }
            if (server != null) {
                server.close();
            }
        }
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }

    /** CPU time of the manager's own threads: those whose names start with {@code dlm-}. */
    private static long dlmThreadsCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().startsWith("dlm-")) {
                long used = threads.getThreadCpuTime(thread.getId());
                if (used > 0) {
                    total += used;
                }
            }
        }
        return total;
    }

    /** User and system CPU of another process, from {@code /proc/<pid>/stat} (clock ticks of 10 ms). */
    private static long processCpuNanos(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // After the command: state is field 3, utime 14 and stime 15 of the whole line.
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * 10_000_000L;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Scripts the server ran, from {@code INFO commandstats}. */
    private static long scriptCalls(String commandStats) {
        long calls = 0;
        for (String line : commandStats.split("\r?\n")) {
            if (line.startsWith("cmdstat_eval") || line.startsWith("cmdstat_fcall")) {
                int from = line.indexOf("calls=") + "calls=".length();
                int to = line.indexOf(',', from);
                calls += Long.parseLong(line.substring(from, to < 0 ? line.length() : to));
            }
        }
        return calls;
    }
}
