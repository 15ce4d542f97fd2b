package io.dlm.benchmarks.cost;

import io.dlm.LockManager;
import io.dlm.benchmarks.Memory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
 * What held locks cost as their number grows, per engine ({@link HeldEngine}): before the
 * measurement, untimed, one manager takes {@code heldLocks} locks on distinct resources with
 * one-hour leases and keeps them; the score is then the time of one more lock, {@code lock(r, c,
 * 0)} + {@code unlock(r, c)} on a free resource beside them (64 resources in turn).
 *
 * <p>Secondary results, through {@link CostProfiler} (so run it with {@code -prof
 * io.dlm.benchmarks.cost.CostProfiler}): {@code clientHeapBytesPerLock}, the client's heap after
 * full collections with the locks held less the same before, per lock (the resource ids, made
 * before the first reading, are not counted: they are the caller's); {@code engineBytesPerLock},
 * the engine's own figure (Redis {@code used_memory}, PostgreSQL {@code pg_total_relation_size} of
 * DLM's table, etcd's database in use, ZooKeeper's {@code zk_approximate_data_size}) after less
 * before, per lock; {@code engineRssBytesPerLock}, the resident memory of an engine process the
 * trial started; {@code setupLocksPerSecond}, how fast the locks were taken (by {@code
 * SETUP_THREADS} threads at once); {@code closeSeconds}, how long the manager's {@code close()} took
 * with the locks still held (it releases them, C1).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.cost.HeldLocksBenchmark \
 *     -p engine=MEMORY,REDIS,POSTGRESQL -p heldLocks=1000,10000,100000,1000000 \
 *     -f 1 -wi 2 -w 1s -i 3 -r 1s -jvmArgsAppend -Xmx4g -prof io.dlm.benchmarks.cost.CostProfiler
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HeldLocksBenchmark {

    /** Threads that take the held locks: enough to keep a remote engine's pipeline or pool busy. */
    static final int SETUP_THREADS = 32;

    private static final String CLIENT = "cost-client";
    private static final int MORE = 64;

    @Param({"MEMORY", "REDIS", "POSTGRESQL", "ETCD", "ZOOKEEPER"})
    HeldEngine engine;

    @Param({"1000", "10000", "100000", "1000000"})
    int heldLocks;

    private HeldEngine.Opened opened;
    private LockManager manager;
    private String[] held;
    private String[] more;
    private int next;

    /**
     * Opens the engine and takes the held locks, measuring what they add.
     *
     * @throws Exception if a lock cannot be taken or the wait is interrupted
     */
    @Setup(Level.Trial)
    public void holdLocks() throws Exception {
        opened = engine.open();
        manager = opened.manager();
        held = new String[heldLocks];
        for (int i = 0; i < heldLocks; i++) {
            held[i] = "held-" + i;
        }
        more = new String[MORE];
        for (int i = 0; i < MORE; i++) {
            more[i] = "more-" + i;
        }
        // Warm the paths that the held locks take, so that the first reading has the classes loaded.
        manager.lock(more[0], CLIENT, 0);
        manager.unlock(more[0], CLIENT);

        Map<String, Long> engineBefore = opened.figures().read();
        long heapBefore = Memory.usedHeap();
        long start = System.nanoTime();
        takeAll();
        long took = System.nanoTime() - start;
        long heapAfter = Memory.usedHeap();
        Map<String, Long> engineAfter = opened.figures().read();

        CostReadings.put("clientHeapBytesPerLock", (double) (heapAfter - heapBefore) / heldLocks, "B/lock");
        engineAfter.forEach((name, after) -> {
            Long before = engineBefore.get(name);
            if (before != null && before >= 0 && after >= 0) {
                CostReadings.put(name, (double) (after - before) / heldLocks, "B/lock");
            }
        });
        CostReadings.put("setupLocksPerSecond", heldLocks / (took / 1e9), "locks/s");
        System.out.printf(
                "%n%s: %,d locks taken in %.1f s; client heap %+,d B; engine %s -> %s%n",
                engine, heldLocks, took / 1e9, heapAfter - heapBefore, engineBefore, engineAfter);
    }

    /** Takes every held lock, {@link #SETUP_THREADS} threads each walking its share. */
    private void takeAll() throws Exception {
        int threads = engine == HeldEngine.MEMORY ? 2 : SETUP_THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    for (int i = first; i < held.length; i += threads) {
                        if (!manager.lock(held[i], CLIENT, 0)) {
                            throw new IllegalStateException(held[i] + " was not free");
                        }
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

    /**
     * One more lock taken and released beside the held ones.
     *
     * @return whether the release found the lock held
     */
    @Benchmark
    public boolean oneMoreLock() {
        String resource = more[next++ & (MORE - 1)];
        if (!manager.lock(resource, CLIENT, 0)) {
            throw new IllegalStateException(resource + " was not free");
        }
        return manager.unlock(resource, CLIENT);
    }

    /**
     * Closes the manager, timing it (closing releases what the manager still holds, C1), and
     * removes the trial's data from the engine. The time reaches the last iteration's figures as
     * {@code closeSeconds}.
     */
    @TearDown(Level.Trial)
    public void close() {
        long start = System.nanoTime();
        try {
            manager.close();
            CostReadings.put("closeSeconds", (System.nanoTime() - start) / 1e9, "s");
        } finally {
            opened.cleanup().run();
        }
    }
}
