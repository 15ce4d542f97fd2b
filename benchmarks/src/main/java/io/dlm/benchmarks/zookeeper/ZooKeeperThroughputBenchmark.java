package io.dlm.benchmarks.zookeeper;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.TestingServer;
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
 * Throughput of uncontended acquire and release pairs on one in-process ZooKeeper 3.9 server: DLM's
 * {@code lock(r, c, 0)} (30 s lease) + {@code unlock(r, c)} beside Curator's {@code
 * InterProcessMutex} and a bare create + delete ({@link ZooKeeperLockType}), in one run. Group
 * {@code threads1} has one thread, {@code threads8} eight threads sharing one client (one ZooKeeper
 * session), each thread with its own client id and key, so no pair ever meets a held lock. The
 * score is pairs per second of the whole group; the {@code failed} counter must stay 0. Each trial
 * starts its own {@link TestingServer}, which syncs its transaction log like a production server
 * unless {@code -Dzookeeper.forceSync=no}.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar ZooKeeperThroughputBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ZooKeeperThroughputBenchmark {

    /** The server and the implementation, shared by the threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        @Param({"DLM", "CURATOR_MUTEX", "RAW_CREATE_DELETE"})
        ZooKeeperLockType type;

        TestingServer server;
        ZooKeeperLockType.Locks locks;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() throws Exception {
            server = new TestingServer(true);
            locks = type.open(server.getConnectString());
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            locks.close();
            server.close();
        }
    }

    /** One thread's client id and key. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class PerThread {
        /** Pairs whose acquisition or release failed; must be 0. */
        public long failed;

        String key;
        String clientId;

        @Setup(Level.Trial)
        public void prepare(Shared shared) {
            int index = shared.threads.getAndIncrement();
            key = "key-" + index;
            clientId = "client-" + index;
        }
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public void oneThread(Shared shared, PerThread thread) {
        pair(shared, thread);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public void eightThreads(Shared shared, PerThread thread) {
        pair(shared, thread);
    }

    private static void pair(Shared shared, PerThread thread) {
        try {
            shared.locks.acquire(thread.key, thread.clientId);
            shared.locks.release(thread.key, thread.clientId);
        } catch (RuntimeException e) {
            thread.failed++;
        }
    }
}
