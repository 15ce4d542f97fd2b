package io.dlm.benchmarks;

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
 * Throughput of uncontended acquire and release pairs on one engine ({@link Engine}): {@code lock(r,
 * c, 0)} with a 30 s lease, then {@code unlock(r, c)}, by DLM, its peer or the raw minimum
 * ({@code -p implementation=DLM,PEER,RAW}, or a variant of the engine's). Group {@code threads1}
 * has one thread, {@code threads8} eight threads sharing one implementation (one manager, client or
 * pool), each thread its own client on resources of its own ({@link Engine#resourcesPerThread()}:
 * 64 on PostgreSQL and MariaDB, whose peer ShedLock refuses to lock a name again within the
 * millisecond it was released in; 1,024 on etcd; one key elsewhere), so no pair ever meets a held
 * lock. Each trial reaches or starts its engine. The score is pairs per second of the whole group;
 * the {@code failed} counter must stay 0. {@code -bm sample -tu us} gives the latency of a pair
 * instead.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.AcquireReleaseBenchmark -p engine=redis -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.AcquireReleaseBenchmark -p engine=etcd -p implementation=DLM,PEER,RAW,RAW_KEEPALIVE -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AcquireReleaseBenchmark {

    /** The engine and the implementation, shared by the threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        @Param({"redis", "postgresql", "mariadb", "etcd", "zookeeper"})
        String engine;

        @Param({"DLM", "PEER", "RAW"})
        String implementation;

        Engine started;
        LockTable table;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            started = Engine.start(engine);
            table = started.open(implementation);
        }

        @TearDown(Level.Trial)
        public void close() {
            table.close();
            started.close();
        }
    }

    /** One thread's client id and resources. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PerThread {
        /** Pairs whose acquisition or release failed; must be 0. */
        public long failed;

        String clientId;
        String[] resources;
        int next;

        @Setup(Level.Trial)
        public void prepare(Shared shared) {
            int index = shared.threads.getAndIncrement();
            clientId = "client-" + index;
            resources = new String[shared.started.resourcesPerThread()];
            for (int i = 0; i < resources.length; i++) {
                resources[i] = "pair-" + index + "-" + i;
            }
        }
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public boolean oneThread(Shared shared, PerThread thread) {
        return pair(shared.table, thread);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public boolean eightThreads(Shared shared, PerThread thread) {
        return pair(shared.table, thread);
    }

    private static boolean pair(LockTable table, PerThread thread) {
        String resource = thread.resources[thread.next];
        thread.next = (thread.next + 1) % thread.resources.length;
        boolean released = table.lock(resource, thread.clientId, 0) && table.unlock(resource, thread.clientId);
        if (!released) {
            thread.failed++;
        }
        return released;
    }
}
