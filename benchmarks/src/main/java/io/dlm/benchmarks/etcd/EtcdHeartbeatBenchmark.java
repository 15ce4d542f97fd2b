package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.LockTable;
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
 * Latency of renewing a held lock on one local etcd: DLM's {@code heartbeat(r, c)} (a keep-alive
 * of the lock's lease and a read of its key, sent together: one round trip that also checks the
 * lock is still this client's) beside a bare jetcd {@code keepAliveOnce} of the lease that carries
 * a jetcd lock (one round trip that checks nothing about the lock).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar EtcdHeartbeatBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EtcdHeartbeatBenchmark {

    private static final String RESOURCE = "renewed";

    private static final String CLIENT = "bench-client";

    /** {@code DLM} or {@code PEER} ({@link EtcdEngine}). */
    @Param({"DLM", "PEER"})
    String implementation;

    EtcdEngine engine;
    LockTable locks;

    @Setup(Level.Trial)
    public void open() {
        engine = EtcdEngine.start();
        locks = engine.open(implementation);
        if (!locks.lock(RESOURCE, CLIENT, 0)) {
            throw new IllegalStateException("lock of " + RESOURCE + " failed");
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        locks.unlock(RESOURCE, CLIENT);
        locks.close();
        engine.close();
    }

    @Benchmark
    public boolean heartbeat() {
        if (!locks.heartbeat(RESOURCE, CLIENT)) {
            throw new IllegalStateException("heartbeat of " + RESOURCE + " failed");
        }
        return true;
    }
}
