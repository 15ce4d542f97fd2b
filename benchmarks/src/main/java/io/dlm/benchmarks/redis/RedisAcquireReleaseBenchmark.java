package io.dlm.benchmarks.redis;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

/**
 * Throughput of uncontended acquire and release pairs on one Redis, DLM beside Redisson's
 * {@code RLock} and a bare {@code SET NX PX} + compare-and-delete on Lettuce
 * ({@link RedisLockType}), in one run: group {@code threads1} with one thread, {@code threads8}
 * with eight threads of one shared client, each thread its own client on its own key, so no pair
 * ever meets a held lock. A pair is one acquisition plus one release; the score is pairs per
 * second of the whole group. The {@code failed} counter must stay 0.
 *
 * <p>Redis comes from {@code -Ddlm.bench.redis.uri} (default {@code redis://127.0.0.1:6379}).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar RedisAcquireReleaseBenchmark -f 1 -wi 2 -w 3s -i 3 -r 5s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RedisAcquireReleaseBenchmark {

    /** The implementation, shared by the threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        @Param({"DLM", "REDISSON", "LETTUCE_SET_NX"})
        RedisLockType type;

        RedisLockType.Locks locks;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            locks = type.open(System.getProperty("dlm.bench.redis.uri", "redis://127.0.0.1:6379"));
        }

        @TearDown(Level.Trial)
        public void close() {
            locks.close();
        }
    }

    /** One thread's client and key. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PerThread {
        /** Pairs whose acquisition or release failed; must be 0. */
        public long failed;

        RedisLockType.Client client;

        @Setup(Level.Trial)
        public void prepare(Shared shared) {
            int index = shared.threads.getAndIncrement();
            client = shared.locks.client("key-" + index, "client-" + index);
        }
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public boolean oneThread(PerThread thread) {
        return pair(thread);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public boolean eightThreads(PerThread thread) {
        return pair(thread);
    }

    private static boolean pair(PerThread thread) {
        boolean acquired = thread.client.acquire();
        boolean released = acquired && thread.client.release();
        if (!released) {
            thread.failed++;
        }
        return released;
    }
}
