package io.dlm.benchmarks.etcd;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Throughput of uncontended acquire + release pairs on one local etcd: DLM's {@code lock(r, c,
 * 0)} + {@code unlock(r, c)} beside jetcd's {@code Lock} and bare transactions ({@link
 * EtcdLockType}), in one run. Group {@code threads1} has one thread, {@code threads8} eight threads
 * sharing one implementation (one client, one channel), each its own lock client walking
 * {@value #RESOURCES_PER_THREAD} resources of its own, so no pair meets a held lock. Each group
 * starts its own etcd. The score is pairs per second of the whole group.
 *
 * <p>Round trips and Raft writes per pair, at one thread ({@link EtcdPairCost} counts them on the
 * server): DLM 2 and 2 (a transaction with a keep-alive of the lock's pooled lease sent alongside,
 * then a transaction); {@code JETCD_LOCK} 2 and 2 (lock, unlock) with one lease for every lock of
 * the client; {@code JETCD_LOCK_OWN_LEASE} 3 and 3 (grant, lock, revoke); {@code RAW_TXN} 2 and 2;
 * {@code RAW_TXN_KEEPALIVE} 2 and 2.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar EtcdAcquireReleaseBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar EtcdAcquireReleaseBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -bm sample -tu us
 * }</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EtcdAcquireReleaseBenchmark {

    static final int RESOURCES_PER_THREAD = 1 << 10;

    /** The server and the implementation, shared by the threads of a group. */
    @State(Scope.Group)
    public static class Shared {
        @Param({"DLM", "JETCD_LOCK", "RAW_TXN"})
        EtcdLockType type;

        LocalEtcd etcd;
        EtcdLockType.Locks locks;
        final AtomicInteger threads = new AtomicInteger();

        @Setup(Level.Trial)
        public void open() {
            etcd = LocalEtcd.start();
            locks = type.open(etcd.endpoint());
        }

        @TearDown(Level.Trial)
        public void close() {
            locks.close();
            etcd.close();
        }
    }

    /** One thread's lock client and resources. */
    @State(Scope.Thread)
    public static class PerThread {
        EtcdLockType.Session session;
        final String[] resources = new String[RESOURCES_PER_THREAD];
        int next;

        @Setup(Level.Trial)
        public void prepare(Shared shared) {
            int index = shared.threads.getAndIncrement();
            session = shared.locks.session("bench-client-" + index);
            for (int i = 0; i < resources.length; i++) {
                resources[i] = "pair-" + index + "-" + i;
            }
        }
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public void oneThread(PerThread thread) {
        pair(thread);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public void eightThreads(PerThread thread) {
        pair(thread);
    }

    private static void pair(PerThread thread) {
        String resource = thread.resources[thread.next];
        thread.next = (thread.next + 1) & (RESOURCES_PER_THREAD - 1);
        thread.session.acquire(resource, 0);
        thread.session.release(resource);
    }
}
