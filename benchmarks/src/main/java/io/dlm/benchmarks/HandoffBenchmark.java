package io.dlm.benchmarks;

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
 * Latency of handing a contended lock on one engine ({@link Engine}) from the thread that releases
 * it to a thread waiting for it in {@code lock}, measured as a ping-pong between two threads, each
 * its own client, with DLM or its peer ({@code -p implementation=DLM,PEER}; the raw minimums, and
 * ShedLock on PostgreSQL and MariaDB, cannot wait for a lock, {@link LockTable#waits()}, and the
 * trial refuses them at once).
 *
 * <p>An operation is {@code lock(r, c, 10 s)}, then a wait until the other thread waits in its own
 * {@code lock} (it has entered it and sleeps: {@code WAITING} or {@code TIMED_WAITING}), then
 * {@code unlock(r, c)}. The wait makes every release a real handoff to a sleeping waiter rather
 * than a race between two running threads. Where a newcomer may not overtake a waiter ({@link
 * LockTable#fifo()}; DLM's rule L2 within one manager), the releasing thread queues behind the one
 * it woke, so the two alternate and each {@code lock} call waits while the lock travels to the
 * other thread and back: <em>one sample spans two handoffs</em>, and a one-way handoff is half of
 * it. Where nothing stops the releasing thread from taking the lock straight back (Redisson, or
 * {@code -p processes=2}: each thread opens the implementation for itself, a manager or client of
 * its own, as two processes would), the releasing thread also waits until the other one holds the
 * lock before it asks again. The trial prints how many acquisitions took the lock from the other
 * thread (close to 100% when the two alternate). {@link HandoffBaselinesBenchmark} has the JDK's
 * floor.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.HandoffBenchmark -p engine=memory -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.HandoffBenchmark -p engine=postgresql -p implementation=DLM -p processes=2,1 -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandoffBenchmark {

    private static final String RESOURCE = "handoff";

    /** Far beyond any handoff; a lock that times out means the benchmark is broken. */
    private static final long TIMEOUT_MILLIS = 10_000;

    /** How long a holder waits for its partner to sleep before deciding that it has stopped. */
    private static final long WAITING_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** How long a releasing thread waits for its partner to take the lock before it goes on. */
    private static final long TAKEN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** The engine, the implementation, the two threads and who held the lock last. */
    @State(Scope.Group)
    public static class Contended {
        @Param({"memory", "redis", "postgresql", "mariadb", "etcd", "zookeeper"})
        String engine;

        @Param({"DLM", "PEER"})
        String implementation;

        /** 1: both threads share one manager or client; 2: each opens its own, as two processes. */
        @Param({"1"})
        int processes;

        Engine started;
        final LockTable[] tables = new LockTable[2];
        boolean awaitTaken;

        final AtomicReferenceArray<Contender> contenders = new AtomicReferenceArray<>(2);
        final AtomicInteger joined = new AtomicInteger();

        // Written while holding the lock under test; read by the releasing thread to see the handoff.
        volatile @Nullable String lastHolder;

        // Only touched while holding the lock under test, after reading lastHolder.
        long acquisitions;
        long handoffs;

        @Setup(Level.Trial)
        public void open() {
            started = Engine.start(engine);
            tables[0] = started.open(implementation);
            if (!tables[0].waits()) {
                // JMH skips the tear-down of a trial that fails: leave nothing behind on the engine.
                tables[0].close();
                started.close();
                throw new IllegalArgumentException(
                        implementation + " on " + engine + " never waits for a lock, so it hands nothing over");
            }
            tables[1] = processes == 2 ? started.open(implementation) : tables[0];
            awaitTaken = processes == 2 || !tables[0].fifo();
        }

        @TearDown(Level.Trial)
        public void close() {
            tables[0].close();
            if (tables[1] != tables[0]) {
                tables[1].close();
            }
            started.close();
            System.out.printf(
                    "%n%s on %s, %d process(es): %,d of %,d acquisitions (%.1f%%) took the lock from the other thread%n",
                    implementation,
                    engine,
                    processes,
                    handoffs,
                    acquisitions,
                    100.0 * handoffs / Math.max(1, acquisitions));
        }
    }

    /** One of the two threads: its client, its table, and whether it is inside {@code lock}. */
    @State(Scope.Thread)
    public static class Contender {
        String clientId;
        LockTable table;
        int slot;

        volatile @Nullable Thread thread;
        volatile boolean locking;

        @Setup(Level.Trial)
        public void join(Contended contended) {
            slot = contended.joined.getAndIncrement();
            clientId = "contender-" + slot;
            table = contended.tables[slot];
            contended.contenders.set(slot, this);
        }
    }

    @Benchmark
    @Group("handoff")
    @GroupThreads(2)
    public boolean handoff(Contended contended, Contender contender) {
        // Every operation, because JMH may run a state on another worker thread from one iteration to the next.
        contender.thread = Thread.currentThread();
        contender.locking = true;
        boolean taken = contender.table.lock(RESOURCE, contender.clientId, TIMEOUT_MILLIS);
        contender.locking = false;
        if (!taken) {
            throw new IllegalStateException(contended.implementation + " on " + contended.engine + " did not give "
                    + RESOURCE + " to " + contender.clientId + " within 10 s");
        }
        contended.acquisitions++;
        String previous = contended.lastHolder;
        if (previous != null && !previous.equals(contender.clientId)) {
            contended.handoffs++;
        }
        contended.lastHolder = contender.clientId;
        @Nullable Contender partner = contended.contenders.get(1 - contender.slot);
        if (contended.awaitTaken && partner != null) {
            LockSupport.unpark(partner.thread); // it may be waiting in awaitTaken for this acquisition
        }
        awaitLocking(partner);
        boolean released = contender.table.unlock(RESOURCE, contender.clientId);
        if (contended.awaitTaken) {
            awaitTaken(contended, contender.clientId, partner);
        }
        return released;
    }

    /**
     * Waits until the partner sleeps inside {@code lock}, or is gone. Gives up after {@link
     * #WAITING_WAIT_NANOS}, when the partner has left the benchmark loop and will not come back to
     * wait (the end of an iteration).
     */
    private static void awaitLocking(@Nullable Contender partner) {
        if (partner == null) {
            return;
        }
        long deadline = System.nanoTime() + WAITING_WAIT_NANOS;
        for (; ; ) {
            Thread thread = partner.thread;
            if (thread == null) {
                return;
            }
            Thread.State state = thread.getState();
            if ((partner.locking && (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING))
                    || state == Thread.State.TERMINATED
                    || System.nanoTime() - deadline > 0) {
                return;
            }
            // Yield rather than spin: on a machine with fewer free cores than runnable threads, a
            // busy spin keeps the partner from reaching its park and stretches the sample tenfold.
            Thread.yield();
        }
    }

    /**
     * Sleeps until the partner holds the lock, or gives up after {@link #TAKEN_WAIT_NANOS}, when the
     * partner has left the benchmark loop at the end of an iteration. The partner unparks this
     * thread when it takes the lock; the short timed parks only cover a wake-up that came early.
     * Sleeping rather than spinning leaves the CPU to the partner and the engine.
     */
    private static void awaitTaken(Contended contended, String me, @Nullable Contender partner) {
        long deadline = System.nanoTime() + TAKEN_WAIT_NANOS;
        while (partner != null && me.equals(contended.lastHolder) && System.nanoTime() - deadline < 0) {
            Thread thread = partner.thread;
            if (thread == null || thread.getState() == Thread.State.TERMINATED) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
