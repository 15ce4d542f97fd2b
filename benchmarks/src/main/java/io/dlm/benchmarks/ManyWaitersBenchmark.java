package io.dlm.benchmarks;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Ten thousand threads waiting for one lock of DLM's in-memory backend, platform threads against
 * virtual threads: the time of one handoff while the lock travels down the whole queue, and the
 * memory a parked waiter costs.
 *
 * <p>Before each operation, untimed, a holder takes the lock and 10,000 waiters start one at a
 * time, each once the one before it is parked in {@code lock(r, c, 10 min)}, so that the queue is
 * in a known order. The operation is the holder's {@code unlock} and the wait until every waiter
 * has taken the lock, noted its place and released it. JMH divides its time by 10,000 ({@link
 * OperationsPerInvocation}), so the score is the time of one handoff: from a waiter's release to
 * the next waiter's return from {@code lock}. A waiter served out of its queue order fails the run.
 *
 * <p>The baseline {@code PARK_UNPARK} passes a turn down the same threads with nothing but a
 * volatile field and {@link LockSupport}: each waiter parks until its number comes up, then
 * unparks the next. It is the least any queue of parked threads pays per handoff, and per waiter
 * the thread alone, so DLM's own share is the difference.
 *
 * <p>Memory, printed at the end of each trial as the median, lowest and highest over its
 * operations: the used heap after several {@link System#gc()} calls with every waiter parked, less
 * the same before they started, per waiter; and the process's resident memory ({@code VmRSS}, Linux
 * only) read the same way, which shows a platform thread's stack, outside the heap. A parked virtual
 * thread keeps its stack on the heap, in pages that earlier operations already made resident.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.ManyWaitersBenchmark -f 1 -wi 3 -i 10
 * }</pre>
 *
 * <p>Virtual threads need Java 21 or later to run it.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@OperationsPerInvocation(ManyWaitersBenchmark.WAITERS)
@State(Scope.Benchmark)
public class ManyWaitersBenchmark {

    static final int WAITERS = 10_000;

    private static final String RESOURCE = "many-waiters";
    private static final String HOLDER = "holder";

    /** Far beyond the whole run; a lock that times out means the benchmark is broken. */
    private static final long TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(10);

    /** How long a waiter may take to park before the benchmark gives up. */
    private static final long PARK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    @Param({"PLATFORM", "VIRTUAL"})
    ThreadKind threads;

    @Param({"DLM", "PARK_UNPARK"})
    Handoff handoff;

    /** What passes from one waiter to the next. */
    public enum Handoff {
        /** A DLM lock: {@code lock}, then {@code unlock}. */
        DLM,
        /** A turn number, with a park until it comes up and an unpark of the next waiter. */
        PARK_UNPARK
    }

    /** How many waiters queue; {@link #WAITERS} unless a subclass sizes the queue. */
    private int count;

    private ThreadFactory factory;
    private LockManager manager;
    private String[] clients;
    private Thread[] waiters;
    private int[] servedOrder;
    private final AtomicInteger served = new AtomicInteger();
    private CountDownLatch allServed;
    private volatile @Nullable Throwable failure;
    /** The number of the waiter whose turn it is, for {@code PARK_UNPARK}. */
    private volatile int turn;

    /** The last operation's time, for subclasses that report per handoff. */
    private long lastPassNanos;

    private final List<Long> heapPerWaiter = new ArrayList<>();
    private final List<Long> residentPerWaiter = new ArrayList<>();

    @Setup(Level.Trial)
    public void open() {
        count = waiterCount();
        factory = threads.factory();
        manager = LockManagers.inMemory();
        clients = Ids.resources("waiter-", count);
        waiters = new Thread[count];
        servedOrder = new int[count];
    }

    /**
     * Takes the lock as the holder and queues every waiter behind it, in order.
     *
     * @throws InterruptedException if interrupted between collections
     */
    @Setup(Level.Invocation)
    public void queueWaiters() throws InterruptedException {
        served.set(0);
        allServed = new CountDownLatch(count);
        turn = -1;
        if (handoff == Handoff.DLM && !manager.lock(RESOURCE, HOLDER, TIMEOUT_MILLIS)) {
            throw new IllegalStateException("the holder did not get the free lock");
        }
        long self = ProcessHandle.current().pid();
        long heapBefore = Memory.usedHeap();
        long residentBefore = Memory.residentBytes(self);
        for (int i = 0; i < count; i++) {
            int number = i;
            waiters[i] = factory.newThread(() -> waitForTurn(number));
            waiters[i].start();
            awaitParked(waiters[i]);
        }
        heapPerWaiter.add((Memory.usedHeap() - heapBefore) / count);
        if (residentBefore >= 0) {
            residentPerWaiter.add((Memory.residentBytes(self) - residentBefore) / count);
        }
    }

    /**
     * Releases the holder's lock and waits until it has passed through the whole queue.
     *
     * @return how many waiters were served
     * @throws InterruptedException if interrupted while waiting
     */
    @Benchmark
    public int handOffThroughTheQueue() throws InterruptedException {
        long start = System.nanoTime();
        if (handoff == Handoff.DLM) {
            manager.unlock(RESOURCE, HOLDER);
        } else {
            passTurnTo(0);
        }
        if (!allServed.await(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the waiters were not served in time");
        }
        lastPassNanos = System.nanoTime() - start;
        return served.get();
    }

    /**
     * Waits for the waiters' threads to end and checks that they were served in queue order.
     *
     * @throws InterruptedException if interrupted while joining
     */
    @TearDown(Level.Invocation)
    public void checkOrder() throws InterruptedException {
        for (Thread waiter : waiters) {
            waiter.join();
        }
        Arrays.fill(waiters, null);
        Throwable failed = failure;
        if (failed != null) {
            throw new IllegalStateException("a waiter failed", failed);
        }
        for (int place = 0; place < count; place++) {
            if (servedOrder[place] != place) {
                throw new IllegalStateException("place " + place + " went to waiter " + servedOrder[place]);
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        manager.close();
        System.out.printf(
                "%n%s, %s threads, %,d waiters, bytes per parked waiter over %d operations:"
                        + " heap %s, resident memory %s%n",
                handoff,
                threads,
                count,
                heapPerWaiter.size(),
                spread(heapPerWaiter),
                residentPerWaiter.isEmpty() ? "unknown" : spread(residentPerWaiter));
    }

    /**
     * How many waiters queue behind the holder. A subclass that changes it also sets its own
     * {@link OperationsPerInvocation}, as this class's divides by {@link #WAITERS}.
     *
     * @return the number of waiters
     */
    protected int waiterCount() {
        return WAITERS;
    }

    /**
     * The time of the last operation, the lock's trip down the whole queue, as the operation
     * itself measured it.
     *
     * @return nanoseconds
     */
    protected final long lastPassNanos() {
        return lastPassNanos;
    }

    /**
     * Heap per parked waiter measured before the last operation.
     *
     * @return bytes (noise can make it negative), or empty before the first operation
     */
    protected final OptionalLong lastHeapPerWaiter() {
        return heapPerWaiter.isEmpty()
                ? OptionalLong.empty()
                : OptionalLong.of(heapPerWaiter.get(heapPerWaiter.size() - 1));
    }

    private void waitForTurn(int number) {
        try {
            if (handoff == Handoff.DLM) {
                if (!manager.lock(RESOURCE, clients[number], TIMEOUT_MILLIS)) {
                    throw new IllegalStateException("waiter " + number + " timed out");
                }
                servedOrder[served.getAndIncrement()] = number;
                manager.unlock(RESOURCE, clients[number]);
            } else {
                while (turn != number) {
                    LockSupport.park(this);
                }
                servedOrder[served.getAndIncrement()] = number;
                if (number + 1 < count) {
                    passTurnTo(number + 1);
                }
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            allServed.countDown();
        }
    }

    private void passTurnTo(int number) {
        turn = number;
        LockSupport.unpark(waiters[number]);
    }

    /** Spins until the waiter parks: {@code lock} parks only once the waiter is queued. */
    private static void awaitParked(Thread waiter) {
        long deadline = System.nanoTime() + PARK_WAIT_NANOS;
        for (; ; ) {
            Thread.State state = waiter.getState();
            if (state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING) {
                return;
            }
            if (state == Thread.State.TERMINATED || System.nanoTime() - deadline >= 0) {
                throw new IllegalStateException("a waiter did not park; it is " + state);
            }
            Thread.yield();
        }
    }

    /** The median, with the lowest and highest value in brackets. */
    private static String spread(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return String.format(
                "%,d (%,d to %,d)", sorted.get(sorted.size() / 2), sorted.get(0), sorted.get(sorted.size() - 1));
    }
}
