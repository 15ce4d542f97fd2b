package io.dlm.benchmarks.zookeeper;

import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
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
 * Latency of an uncontended acquire and release pair on one in-process ZooKeeper server: DLM's
 * {@code lock(r, c, 0)} + {@code unlock(r, c)} beside Curator's {@code InterProcessMutex} and
 * {@code InterProcessSemaphoreMutex} ({@link ZooKeeperLockType}). One thread walks 1,024 resources
 * in turn, so no pair meets a lock still held. Each trial starts its own {@link TestingServer}
 * (ZooKeeper 3.9) in {@code @Setup}, so all types of one run meet the same kind of server.
 *
 * <p>Round trips per pair: DLM 2 (a transaction creating lock and key node; a transaction deleting
 * them); {@code CURATOR_MUTEX} 3 (create, list the siblings, delete); {@code
 * CURATOR_SEMAPHORE_MUTEX} about 8 (an internal mutex guards the lease node's creation).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar ZooKeeperAcquireReleaseBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
 * # without ZooKeeper's fsync of its transaction log (the server's disk then no longer dominates):
 * java -jar benchmarks/target/benchmarks.jar ZooKeeperAcquireReleaseBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s \
 *      -jvmArgs -Dzookeeper.forceSync=no
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ZooKeeperAcquireReleaseBenchmark {

    private static final int RESOURCES = 1 << 10;

    @Param({"DLM", "CURATOR_MUTEX", "CURATOR_SEMAPHORE_MUTEX"})
    ZooKeeperLockType type;

    TestingServer server;
    ZooKeeperLockType.Locks locks;
    String[] resources;
    int next;

    @Setup(Level.Trial)
    public void open() throws Exception {
        server = new TestingServer(true);
        locks = type.open(server.getConnectString());
        resources = new String[RESOURCES];
        for (int i = 0; i < RESOURCES; i++) {
            resources[i] = "pair-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        locks.close();
        server.close();
    }

    @Benchmark
    public void acquireRelease() {
        String resource = resources[next++ & (RESOURCES - 1)];
        locks.acquire(resource, "bench-client");
        locks.release(resource, "bench-client");
    }
}
