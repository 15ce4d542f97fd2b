package io.dlm.benchmarks.etcd;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jspecify.annotations.Nullable;
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
 * Latency of handing a lock on one local etcd to a client that waits for it, as a ping-pong of two
 * threads, each its own client: acquire (waiting up to 10 s), wait until the other thread is
 * blocked in its own acquire, release. Each sample spans two handoffs; a one-way handoff is half.
 *
 * <p>DLM's waiter is woken by its etcd watch seeing the key's deletion and then takes the lock
 * with one transaction; jetcd's {@code Lock} waits inside etcd's lock service, which answers when
 * the waiter's own key becomes the oldest. The trial prints how many acquisitions took the lock
 * from the other thread (close to 100% when they alternate).
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar EtcdHandoffBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
 * }</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EtcdHandoffBenchmark {

    private static final String RESOURCE = "handoff";

    private static final long TIMEOUT_MILLIS = 10_000;

    private static final long PARK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** The server, the lock clients, the two threads and who held the lock last. */
    @State(Scope.Group)
    public static class Contended {
        @Param({"DLM", "JETCD_LOCK"})
        EtcdLockType type;

        LocalEtcd etcd;
        EtcdLockType.Locks locks;
        final AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(2);
        final AtomicInteger joined = new AtomicInteger();

        // Touched only while holding the lock under test, which orders them like guarded data.
        @Nullable
        String lastHolder;

        long acquisitions;
        long handoffs;

        @Setup(Level.Trial)
        public void open() {
            etcd = LocalEtcd.start();
            locks = type.open(etcd.endpoint());
        }

        @TearDown(Level.Trial)
        public void close() {
            locks.close();
            etcd.close();
            System.out.printf(
                    "%n%s: %,d of %,d acquisitions (%.1f%%) took the lock from the other thread%n",
                    type, handoffs, acquisitions, 100.0 * handoffs / Math.max(1, acquisitions));
        }
    }

    /** One of the two threads. */
    @State(Scope.Thread)
    public static class Contender {
        EtcdLockType.Session session;
        String clientId;
        int slot;

        @Setup(Level.Trial)
        public void join(Contended contended) {
            slot = contended.joined.getAndIncrement();
            clientId = "contender-" + slot;
            session = contended.locks.session(clientId);
            contended.threads.set(slot, Thread.currentThread());
        }
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(2)
    public void handoff(Contended contended, Contender contender) {
        contender.session.acquire(RESOURCE, TIMEOUT_MILLIS);
        contended.acquisitions++;
        if (contended.lastHolder != null && !contended.lastHolder.equals(contender.clientId)) {
            contended.handoffs++;
        }
        contended.lastHolder = contender.clientId;
        awaitPartnerBlocked(contended.threads.get(1 - contender.slot));
        contender.session.release(RESOURCE);
    }

    /** Makes the release a real handoff to a blocked waiter, not a race between running threads. */
    private static void awaitPartnerBlocked(@Nullable Thread partner) {
        if (partner == null) {
            return;
        }
        long deadline = System.nanoTime() + PARK_WAIT_NANOS;
        while (System.nanoTime() < deadline) {
            Thread.State state = partner.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                return;
            }
            Thread.onSpinWait();
        }
    }
}
