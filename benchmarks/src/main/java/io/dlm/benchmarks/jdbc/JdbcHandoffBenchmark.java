package io.dlm.benchmarks.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;
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
 * Latency of handing a lock on PostgreSQL to a waiter that sleeps in {@code lock}, as a ping-pong
 * of two threads: each takes the lock ({@code lock(r, c, 10 s)}), waits until the other is parked
 * waiting for it, releases it, and waits until the other has taken it before it asks again (across
 * managers nothing else stops the releasing thread from taking the lock straight back). A sample
 * spans two handoffs; read half its p0.50 as one handoff (release statement, notification,
 * wake-up, acquisition statement).
 *
 * <p>{@code managers=TWO}: each thread has its own manager, as two processes would; the waiter is
 * woken by {@code NOTIFY} sent with the release and heard on its manager's {@code LISTEN}
 * connection, nothing else could wake it before the holder's 20 s lease. {@code managers=ONE}:
 * both threads share a manager, which wakes the waiter in-process; the difference is the cost of
 * the notification. The holder's lease is long, so an expiry never hands the lock over. The
 * teardown prints how many acquisitions took the lock from the other thread.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar JdbcHandoffBenchmark -f 1 -wi 3 -w 2s -i 5 -r 2s
 * }</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class JdbcHandoffBenchmark {

    private static final String RESOURCE = "handoff";
    private static final long TIMEOUT_MILLIS = 10_000;
    private static final long PARK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** How long a releasing thread waits for its partner to take the lock before it goes on. */
    private static final long HANDOFF_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** The managers, the two threads and who held the lock last. */
    @State(Scope.Group)
    public static class Contended {
        @Param({"TWO", "ONE"})
        String managers;

        String table;
        LockManager first;
        LockManager second;

        final AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(2);
        final AtomicInteger joined = new AtomicInteger();

        // Written while holding the lock under test; read by the releasing thread to see the handoff.
        volatile @Nullable String lastHolder;

        // Only touched while holding the lock under test.
        long acquisitions;
        long handoffs;

        @Setup(Level.Trial)
        public void open() {
            table = BenchDatabase.uniqueTable("handoff");
            var settings = BenchDatabase.dlmSettings(table);
            // Far beyond a handoff: only a release, never an expiry, passes the lock on.
            settings.put("dlm.lease.min", "20s");
            first = LockManagers.open("jdbc", settings);
            second = managers.equals("TWO") ? LockManagers.open("jdbc", settings) : first;
        }

        @TearDown(Level.Trial)
        public void close() {
            first.close();
            if (second != first) {
                second.close();
            }
            BenchDatabase.execute("DROP TABLE " + table, "DROP SEQUENCE " + table + "_seq");
            System.out.printf(
                    "%n%s manager(s): %,d of %,d acquisitions (%.1f%%) took the lock from the other thread%n",
                    managers, handoffs, acquisitions, 100.0 * handoffs / Math.max(1, acquisitions));
        }
    }

    /** One of the two threads, with its client id and manager. */
    @State(Scope.Thread)
    public static class Contender {
        int slot;
        String clientId;
        LockManager manager;

        @Setup(Level.Trial)
        public void join(Contended contended) {
            slot = contended.joined.getAndIncrement();
            clientId = "contender-" + slot;
            manager = slot == 0 ? contended.first : contended.second;
            contended.threads.set(slot, Thread.currentThread());
        }
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(2)
    public boolean handoff(Contended contended, Contender contender) {
        if (!contender.manager.lock(RESOURCE, contender.clientId, TIMEOUT_MILLIS)) {
            throw new IllegalStateException(contender.clientId + " timed out waiting for " + RESOURCE);
        }
        contended.acquisitions++;
        String previous = contended.lastHolder;
        if (previous != null && !previous.equals(contender.clientId)) {
            contended.handoffs++;
        }
        contended.lastHolder = contender.clientId;
        Thread partner = contended.threads.get(1 - contender.slot);
        if (partner != null) {
            LockSupport.unpark(partner); // it may be waiting in awaitTaken for this acquisition
        }
        awaitParked(partner);
        boolean released = contender.manager.unlock(RESOURCE, contender.clientId);
        awaitTaken(contended, contender.clientId, partner);
        return released;
    }

    /**
     * Sleeps until the partner holds the lock, or gives up after {@link #HANDOFF_WAIT_NANOS}, when
     * the partner has left the benchmark loop at the end of an iteration. The partner unparks this
     * thread when it takes the lock; the short timed parks only cover a wake-up that came early.
     * Sleeping rather than spinning leaves the CPU to the partner, its listener and the database.
     */
    private static void awaitTaken(Contended contended, String me, @Nullable Thread partner) {
        long deadline = System.nanoTime() + HANDOFF_WAIT_NANOS;
        while (me.equals(contended.lastHolder)
                && partner != null
                && partner.getState() != Thread.State.TERMINATED
                && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    /** Spins until the partner sleeps (or has left the loop for good, after a short grace). */
    private static void awaitParked(@Nullable Thread partner) {
        if (partner == null) {
            return;
        }
        long deadline = System.nanoTime() + PARK_WAIT_NANOS;
        for (; ; ) {
            Thread.State state = partner.getState();
            if (state == Thread.State.WAITING
                    || state == Thread.State.TIMED_WAITING
                    || state == Thread.State.TERMINATED
                    || System.nanoTime() - deadline > 0) {
                return;
            }
            Thread.onSpinWait();
        }
    }
}
