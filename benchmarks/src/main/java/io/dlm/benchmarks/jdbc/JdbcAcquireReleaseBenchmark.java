package io.dlm.benchmarks.jdbc;

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
 * Throughput of uncontended acquire + release pairs on one PostgreSQL (or MariaDB, see {@link
 * BenchDatabase}): DLM's {@code jdbc} backend, ShedLock's plain JDBC provider and a raw upsert +
 * delete ({@link JdbcLockType}), in one run.
 * Group {@code threads1} has one thread, {@code threads8} eight threads sharing one implementation,
 * each on resources of its own, so no pair ever meets a held lock. Each thread cycles through
 * {@value #RESOURCES_PER_THREAD} resources: ShedLock compares its millisecond clock with the
 * microsecond expiry its unlock wrote, and so refuses to lock a name again within the millisecond
 * it was released in. The score is pairs per second (of the whole group); the {@code failed}
 * counter must stay 0. On a shared machine, {@link JdbcInterleaved} gives steadier ratios.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.jdbc.JdbcAcquireReleaseBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class JdbcAcquireReleaseBenchmark {

    static final int RESOURCES_PER_THREAD = 64;

    /** The implementation, shared by the threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        @Param({"DLM", "SHEDLOCK", "RAW_JDBC"})
        JdbcLockType type;

        JdbcLockType.Locks locks;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            locks = type.open();
        }

        @TearDown(Level.Trial)
        public void close() {
            locks.close();
        }
    }

    /** One thread's client and resource. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PerThread {
        /** Pairs whose acquisition or release failed; must be 0. */
        public long failed;

        final JdbcLockType.Client[] clients = new JdbcLockType.Client[RESOURCES_PER_THREAD];
        int next;

        @Setup(Level.Trial)
        public void prepare(Shared shared) {
            int index = shared.threads.getAndIncrement();
            for (int i = 0; i < clients.length; i++) {
                clients[i] = shared.locks.client("resource-" + index + "-" + i, "client-" + index);
            }
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
        JdbcLockType.Client client = thread.clients[thread.next];
        thread.next = (thread.next + 1) % RESOURCES_PER_THREAD;
        boolean acquired = client.acquire();
        boolean released = acquired && client.release();
        if (!released) {
            thread.failed++;
        }
        return released;
    }
}
