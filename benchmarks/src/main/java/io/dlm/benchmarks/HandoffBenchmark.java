package io.dlm.benchmarks;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
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
 * Latency of handing a contended lock from the thread that releases it to a thread that is
 * parked in {@code lock} waiting for it, measured as a ping-pong between two threads.
 *
 * <p>An operation of the {@code lock} group is {@code lock(r, c, 10 s)}, then a wait until the
 * other thread is parked (its {@link Thread#getState() state} is {@code WAITING} or
 * {@code TIMED_WAITING}), then {@code unlock(r, c)}. The wait makes every release a real handoff
 * to a sleeping waiter rather than a race between two running threads, which on an idle machine
 * often lets the releasing thread take the lock straight back. As a newcomer may not overtake a
 * queued waiter (L2), the releasing thread queues behind the one it woke, so the two alternate
 * and each {@code lock} call waits while the lock travels to the other thread and back:
 * <em>one sample spans two handoffs</em>, and a one-way handoff is half of it. The other thread
 * gets back into {@code lock} and falls asleep while the lock is on its way to this one, so the
 * wait only adds the part of that which takes longer than the wake-up. The group
 * state prints at the end how many acquisitions took the lock from the other thread (close to
 * 100% when the two alternate).
 *
 * <p>Baselines in the same run, each sample again spanning two handoffs to a parked thread: a
 * fair {@link ReentrantLock} in the same loop ({@code FAIR_REENTRANT_LOCK} in the {@code lock}
 * group); a turn passed under a {@link ReentrantLock} with a {@link Condition} (the
 * {@code condition} group); and a ping-pong over two {@link SynchronousQueue}s (the {@code queue}
 * group; read its {@code ping} rows). Read the p0.50 rows.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.HandoffBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandoffBenchmark {

    private static final String RESOURCE = "handoff";

    /** Far beyond any handoff; a lock that times out means the benchmark is broken. */
    private static final long TIMEOUT_MILLIS = 10_000;

    /** How long a holder waits for its partner to park before deciding that it has stopped. */
    private static final long PARK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    /** How long a baseline side waits for its partner before deciding that it has stopped. */
    private static final long PARTNER_TIMEOUT_MILLIS = 100;

    /** The lock both threads take turns with, the two threads, and who held the lock last. */
    @State(Scope.Group)
    public static class Contended {
        @Param({"DLM", "FAIR_REENTRANT_LOCK"})
        LockType type;

        LockTable table;

        final AtomicReferenceArray<Thread> threads = new AtomicReferenceArray<>(2);
        final AtomicInteger joined = new AtomicInteger();

        // Written and read only while holding the lock under test, whose release and acquire
        // order these plain fields like any data the lock guards.
        @Nullable
        String lastHolder;

        long acquisitions;
        long handoffs;

        @Setup(Level.Trial)
        public void open() {
            table = type.create();
        }

        @TearDown(Level.Trial)
        public void close() {
            table.close();
            System.out.printf(
                    "%n%s: %,d of %,d acquisitions (%.1f%%) took the lock from the other thread%n",
                    type, handoffs, acquisitions, 100.0 * handoffs / Math.max(1, acquisitions));
        }
    }

    /** One of the two threads of the {@code lock} group. */
    @State(Scope.Thread)
    public static class Contender {
        final String clientId = Ids.nextClient();
        int slot;

        @Setup(Level.Trial)
        public void join(Contended contended) {
            slot = contended.joined.getAndIncrement();
        }

        /**
         * Records the calling thread as this contender's. Done on every operation, before it waits
         * for the lock, because JMH may run a state on another worker thread from one iteration to
         * the next.
         *
         * @param contended the shared state
         */
        void register(Contended contended) {
            contended.threads.lazySet(slot, Thread.currentThread());
        }

        /**
         * The other contender's thread as it last registered, or {@code null} if unknown.
         *
         * @param contended the shared state
         * @return the partner thread
         */
        @Nullable
        Thread partner(Contended contended) {
            Thread partner = contended.threads.get(1 - slot);
            return partner == Thread.currentThread() ? null : partner;
        }
    }

    /** One side of a baseline ping-pong. */
    @State(Scope.Thread)
    public static class Client {
        final String clientId = Ids.nextClient();
    }

    /** A turn that two threads pass back and forth under a JDK lock and condition. */
    @State(Scope.Group)
    public static class Turns {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();

        // Guarded by lock.
        @Nullable
        String lastTurn;
    }

    /** Two rendezvous channels, one for each direction. */
    @State(Scope.Group)
    public static class Channels {
        final SynchronousQueue<String> ping = new SynchronousQueue<>();
        final SynchronousQueue<String> pong = new SynchronousQueue<>();
    }

    @Benchmark
    @Group("lock")
    @GroupThreads(2)
    public boolean lock(Contended contended, Contender contender) {
        contender.register(contended);
        if (!contended.table.lock(RESOURCE, contender.clientId, TIMEOUT_MILLIS)) {
            throw new IllegalStateException(contender.clientId + " timed out waiting for " + RESOURCE);
        }
        contended.acquisitions++;
        String previous = contended.lastHolder;
        if (previous != null && !previous.equals(contender.clientId)) {
            contended.handoffs++;
        }
        contended.lastHolder = contender.clientId;
        awaitParked(contender.partner(contended));
        return contended.table.unlock(RESOURCE, contender.clientId);
    }

    /**
     * Waits until a thread sleeps: {@code WAITING} or {@code TIMED_WAITING}, as a thread parked in
     * {@code lock} is, or gone. Gives up after {@link #PARK_WAIT_NANOS}, when the partner has left
     * the benchmark loop and will not come back to wait (the end of an iteration).
     */
    private static void awaitParked(@Nullable Thread partner) {
        if (partner == null) {
            return;
        }
        long deadline = 0;
        for (; ; ) {
            Thread.State state = partner.getState();
            if (state == Thread.State.WAITING
                    || state == Thread.State.TIMED_WAITING
                    || state == Thread.State.TERMINATED) {
                return;
            }
            long now = System.nanoTime();
            if (deadline == 0) {
                deadline = now + PARK_WAIT_NANOS;
            } else if (now - deadline > 0) {
                return;
            }
            // Yield rather than spin: on a machine with fewer free cores than runnable threads, a
            // busy spin keeps the partner from reaching its park and stretches the sample tenfold.
            Thread.yield();
        }
    }

    @Benchmark
    @Group("condition")
    @GroupThreads(2)
    public boolean condition(Turns turns, Client client) throws InterruptedException {
        turns.lock.lock();
        try {
            while (client.clientId.equals(turns.lastTurn)) {
                // Timed, so that the side left alone when the other one stops does not hang.
                if (!turns.changed.await(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            }
            turns.lastTurn = client.clientId;
            turns.changed.signal();
            return true;
        } finally {
            turns.lock.unlock();
        }
    }

    @Benchmark
    @Group("queue")
    @GroupThreads(1)
    public @Nullable String ping(Channels channels, Client client) throws InterruptedException {
        // Timed calls, so that the side left alone when the other one stops does not hang.
        if (!channels.ping.offer(client.clientId, PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            return null;
        }
        return channels.pong.poll(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Benchmark
    @Group("queue")
    @GroupThreads(1)
    public @Nullable String pong(Channels channels, Client client) throws InterruptedException {
        String ball = channels.ping.poll(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (ball != null) {
            channels.pong.offer(client.clientId, PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
        return ball;
    }
}
