package io.dlm.benchmarks;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Throughput of an uncontended lock and unlock pair: {@code lock(r, c, 0)} then
 * {@code unlock(r, c)}, the shortest use of a lock, against the same pair on a
 * {@link java.util.concurrent.ConcurrentHashMap} ({@code putIfAbsent}, {@code remove(key, value)})
 * on a per-key {@link java.util.concurrent.locks.ReentrantLock} ({@code tryLock},
 * {@code unlock}), and on {@link LockType#LEASE_MAP}, a bare lease table that only adds the clock
 * reads and compare-and-sets any lease needs.
 *
 * <p>Keys come from a pre-built, shuffled sequence over {@code distinctKeys} resources (1: every
 * pair hits one key; 10,000: keys spread like a real lock space), walked by a per-thread counter,
 * so nothing is allocated by the benchmark itself. Each thread is its own client. The
 * {@code threads1} group runs one thread, {@code threads2} two threads on one table; with one key
 * the two threads do contend, and the {@code missed} counter reports the lock attempts that found
 * the key taken (timeout 0 never waits), which differ between implementations and must be read
 * beside the throughput. {@code threads8} runs eight threads on one table, four per core on a
 * two-core machine, to show whether the throughput holds when threads are descheduled mid-call.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.LockUnlockBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.LockUnlockBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc
 * }</pre>
 *
 * <p>{@code metrics} prices DLM's O1 metrics ({@link BenchmarkMetrics}): {@code none} by default;
 * compare it with an SDK installed by running DLM alone with both values:
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.LockUnlockBenchmark -p type=DLM -p metrics=none,observer,sdk -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LockUnlockBenchmark {

    private static final int SIZE = 1 << 14;
    private static final int MASK = SIZE - 1;

    @Param({"DLM", "CONCURRENT_HASH_MAP", "LEASE_MAP", "REENTRANT_LOCK"})
    LockType type;

    @Param({"1", "10000"})
    int distinctKeys;

    /** O1 metrics: {@code none} (no SDK), {@code observer} or {@code sdk}; only DLM records any. */
    @Param({"none"})
    String metrics;

    BenchmarkMetrics installedMetrics;
    LockTable table;
    String[] keys;

    /** One client: its id, its place in the key sequence, and the misses it saw. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class ClientState {
        /** Lock attempts that found the key held by the other thread; reset every iteration. */
        public long missed;

        final String clientId = Ids.nextClient();
        int index = ThreadLocalRandom.current().nextInt();

        @Setup(Level.Iteration)
        public void reset() {
            missed = 0;
        }
    }

    @Setup
    public void setup() {
        keys = Ids.sequence(distinctKeys, SIZE);
        installedMetrics = BenchmarkMetrics.install(metrics);
        table = type.create();
    }

    @TearDown
    public void tearDown() {
        table.close();
        installedMetrics.close();
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public void lockUnlock1(ClientState client, Blackhole bh) {
        lockUnlock(client, bh);
    }

    @Benchmark
    @Group("threads2")
    @GroupThreads(2)
    public void lockUnlock2(ClientState client, Blackhole bh) {
        lockUnlock(client, bh);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public void lockUnlock8(ClientState client, Blackhole bh) {
        lockUnlock(client, bh);
    }

    private void lockUnlock(ClientState client, Blackhole bh) {
        String key = keys[client.index++ & MASK];
        boolean locked = table.lock(key, client.clientId, 0);
        if (!locked) {
            client.missed++;
        }
        bh.consume(locked);
        bh.consume(table.unlock(key, client.clientId));
    }
}
