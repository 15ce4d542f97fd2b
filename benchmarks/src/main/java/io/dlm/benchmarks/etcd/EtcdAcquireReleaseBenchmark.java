package io.dlm.benchmarks.etcd;

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
 * Latency of an uncontended acquire and release pair on one local etcd: DLM's {@code lock(r, c,
 * 0)} + {@code unlock(r, c)} beside jetcd's {@code Lock} ({@link EtcdLockType}). One thread walks
 * 1,024 resources in turn, so no pair meets a lock still held.
 *
 * <p>Round trips per pair: DLM 2 (a transaction with a keep-alive sent alongside, then a
 * transaction); {@code JETCD_LOCK} 2 (lock, unlock) but with one lease for every lock of the
 * client; {@code JETCD_LOCK_OWN_LEASE} 3 (grant, lock, revoke).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar EtcdAcquireReleaseBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EtcdAcquireReleaseBenchmark {

    private static final int RESOURCES = 1 << 10;

    @Param({"DLM", "JETCD_LOCK", "JETCD_LOCK_OWN_LEASE"})
    EtcdLockType type;

    LocalEtcd etcd;
    EtcdLockType.Locks locks;
    EtcdLockType.Session session;
    String[] resources;
    int next;

    @Setup(Level.Trial)
    public void open() {
        etcd = LocalEtcd.start();
        locks = type.open(etcd.endpoint());
        session = locks.session("bench-client");
        resources = new String[RESOURCES];
        for (int i = 0; i < RESOURCES; i++) {
            resources[i] = "pair-" + i;
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        locks.close();
        etcd.close();
    }

    @Benchmark
    public void acquireRelease() {
        String resource = resources[next++ & (RESOURCES - 1)];
        session.acquire(resource, 0);
        session.release(resource);
    }
}
