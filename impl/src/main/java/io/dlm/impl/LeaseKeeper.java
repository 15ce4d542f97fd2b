package io.dlm.impl;

import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.Durations;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the leases of one manager alive and notices their loss (K1-K3).
 *
 * <p>Three kinds of thread, each created on first use and gone after {@link #close()} (C1):
 *
 * <ul>
 *   <li>one scheduler thread that owns every lease's timer. It only books work and sends
 *       renewals; it never waits for an engine. An {@link AsyncLockBackend} renewal is a callback;
 *       an {@link InProcessLockBackend} renewal is a memory operation done right there; a {@link
 *       BatchRenewingLockBackend} renewal joins a queue that {@link BatchRenewals} sends many to a
 *       round trip (N7); any other backend's renewal runs on the blocking pool below. So a slow
 *       renewal of one lease never holds up the timer of another (K1), and a lease whose renewal
 *       is still in flight is declared lost at its local deadline all the same (K3).
 *   <li>a bounded pool ({@code dlm.heartbeat.threads}) for blocking renewals and batches, used
 *       only by backends without asynchronous renewal.
 *   <li>a small pool that completes {@link io.dlm.Lease#lost()}, so that what applications hang on
 *       a loss never runs on a thread that renews leases (K3).
 * </ul>
 *
 * <p>It is also the backend's {@link LeaseLossListener}: a lease the engine reports gone is lost
 * at once.
 */
final class LeaseKeeper implements LeaseLossListener {

    private final LockBackend backend;
    private final LockSettings settings;
    private final Ticker ticker;
    /**
     * Leases someone watches (kept alive, or {@code lost()} asked for) and not yet ended, by
     * resource; at most a few per resource. A lease is put here when the scheduler takes it from
     * the arrivals, so the common short hold, released before that, never is. Unwatched leases are
     * not kept here, so a lease nobody releases costs nothing once its holder forgot it.
     */
    private final ConcurrentHashMap<String, DefaultLease[]> leases = new ConcurrentHashMap<>();

    private final Object threadsLock = new Object();
    // Created on first use, under threadsLock; read without it once set.
    private volatile @Nullable ScheduledThreadPoolExecutor scheduler;
    private volatile @Nullable ExecutorService blockingRenewals;
    private volatile @Nullable LossNotifier notifier;
    /** The batches of a {@link BatchRenewingLockBackend}, else {@code null}. */
    private final @Nullable BatchRenewals batches;

    /** The longest an arrived lease waits for the sweep that hands it to the scheduler. */
    private static final long MAX_SWEEP_DELAY_NANOS = 5_000_000L;

    private static final long NO_SWEEP = Long.MIN_VALUE;

    /** The most ended leases a push steps over, so that a push stays a constant-time step. */
    private static final int SKIPPED_PER_PUSH = 4;

    private static final VarHandle ARRIVALS;

    static {
        try {
            ARRIVALS = MethodHandles.lookup().findVarHandle(LeaseKeeper.class, "arrivals", DefaultLease.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * Top of the lock-free stack of leases watched and not yet swept, linked through {@link
     * DefaultLease#nextArrival}: no node per lease, and ended leases on top (most short calls end
     * before the sweep) are dropped by the next push.
     */
    private volatile @Nullable DefaultLease arrivals;

    /**
     * Set by {@link #close()} before it ends the arrivals and runs the handed-over completions for
     * the last time: what a keeper thread hands over after that, it hands to another thread
     * ({@link #endAfterClose}, {@link #notify}).
     */
    private volatile boolean endedForGood;

    /** Loss completions handed over on the keeper's own threads after close() began (K3). */
    private final ConcurrentLinkedQueue<Runnable> completionsAfterClose = new ConcurrentLinkedQueue<>();

    private final AtomicLong sweepAt = new AtomicLong(NO_SWEEP);
    private final Runnable sweep = this::sweep;

    /** Set on the keeper's own threads: a close() called from one must not wait for its own pool. */
    private static final ThreadLocal<LeaseKeeper> OWN_THREAD = new ThreadLocal<>();

    private volatile boolean closed;
    /**
     * Counts engine reports that every lease is gone (a lost session). A lease remembers the count
     * it was acquired under, so that even an unwatched lease stops being valid at once (K2, K3).
     */
    private volatile long lossEpoch;
    /** Per resource, the highest token the engine reported gone (K3). */
    private final ConcurrentHashMap<String, Long> goneUpTo = new ConcurrentHashMap<>();

    LeaseKeeper(LockBackend backend, LockSettings settings, Ticker ticker) {
        this.backend = backend;
        this.settings = settings;
        this.ticker = ticker;
        this.batches = backend instanceof BatchRenewingLockBackend batching
                ? new BatchRenewals(batching, settings.heartbeatThreads(), this::blockingRenewals)
                : null;
    }

    /** How long one confirmation keeps a lock certainly held, on this backend (K2). */
    long confirmationValidityNanos() {
        return Durations.toNanosSaturated(backend.confirmationValidity());
    }

    Ticker ticker() {
        return ticker;
    }

    LockSettings settings() {
        return settings;
    }

    LockBackend backend() {
        return backend;
    }

    // ---- the registry ---------------------------------------------------------------------------

    void track(DefaultLease lease) {
        leases.compute(lease.resourceId(), (resource, current) -> {
            if (current == null) {
                return new DefaultLease[] {lease};
            }
            for (DefaultLease tracked : current) {
                if (tracked == lease) {
                    return current; // once: a release that failed may hand it in again
                }
            }
            DefaultLease[] grown = java.util.Arrays.copyOf(current, current.length + 1);
            grown[current.length] = lease;
            return grown;
        });
    }

    void untrack(DefaultLease lease) {
        leases.computeIfPresent(lease.resourceId(), (resource, current) -> {
            int at = -1;
            for (int i = 0; i < current.length; i++) {
                if (current[i] == lease) {
                    at = i;
                    break;
                }
            }
            if (at < 0) {
                return current;
            }
            if (current.length == 1) {
                return null;
            }
            DefaultLease[] shrunk = new DefaultLease[current.length - 1];
            System.arraycopy(current, 0, shrunk, 0, at);
            System.arraycopy(current, at + 1, shrunk, at, current.length - at - 1);
            return shrunk;
        });
    }

    @Override
    public void leaseLost(String resourceId, long fencingToken) {
        // Remembered for the leases nobody watches, which isValid() checks. Tokens of a resource
        // only grow, so every acquisition up to a lost one has ended too; one number per resource.
        goneUpTo.merge(resourceId, fencingToken, Math::max);
        DefaultLease[] current = leases.get(resourceId);
        if (current != null) {
            for (DefaultLease lease : current) {
                if (lease.fencingToken() == fencingToken) {
                    lease.markLost("the engine reported the lease gone");
                }
            }
        }
        sweepArrivalsNow();
    }

    /**
     * After a loss report: the leases still among the arrivals are not registered yet, so the
     * scheduler takes them now rather than at the booked sweep, and each that the report ended is
     * reported lost at once (K3). A lease that arrives after this look sees the report itself.
     */
    private void sweepArrivalsNow() {
        if (arrivals != null) {
            onScheduler(sweep);
        }
    }

    long lossEpoch() {
        return lossEpoch;
    }

    /** Whether the engine reported this acquisition (or a later one of the resource) gone. */
    boolean reportedGone(String resourceId, long fencingToken) {
        if (goneUpTo.isEmpty()) {
            return false;
        }
        Long gone = goneUpTo.get(resourceId);
        return gone != null && fencingToken <= gone;
    }

    /**
     * How many renewals of one lease may be on their way at once. A renewal is sent when it is due
     * even while earlier ones are unanswered, so a lease only needs to outlast one round trip plus
     * one interval, not two round trips; the cap stops a stalled engine from piling them up. For a
     * blocking backend each one holds a thread of the {@code dlm.heartbeat.threads} pool.
     */
    int maxRenewalsInFlight() {
        return 3;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void allLeasesLost() {
        synchronized (threadsLock) {
            lossEpoch++;
        }
        for (DefaultLease[] current : leases.values()) {
            for (DefaultLease lease : current) {
                lease.markLost("the engine reported every lease of this manager gone (session lost)");
            }
        }
        sweepArrivalsNow();
    }

    // ---- timers and renewals --------------------------------------------------------------------

    /**
     * Runs a lease's timer step after {@code delayNanos}, on the scheduler thread.
     *
     * @return the booking, to cancel when the lease's next step moves
     */
    @Nullable
    ScheduledFuture<?> schedule(Runnable step, long delayNanos) {
        ScheduledThreadPoolExecutor timer = scheduler();
        if (timer == null) {
            return null;
        }
        try {
            return timer.schedule(step, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            return null;
        }
    }

    /**
     * Hands a newly watched lease to the scheduler without waking it for every lease: the lease
     * joins a lock-free stack, and one sweep, booked no later than the lease's first timer and at
     * most {@link #MAX_SWEEP_DELAY_NANOS} away, takes all arrivals at once. A lease released before
     * the sweep (most locked calls are short) never reaches the scheduler at all.
     *
     * @param lease the lease, watched by this call and by no other
     * @param firstWake when its timer must first run: its first renewal or its deadline
     */
    void arrive(DefaultLease lease, long firstWake) {
        push(lease);
        if (closed) {
            // close() may have taken the arrivals before this push: nobody would sweep it (C1).
            endArrivals();
            return;
        }
        // Read after the push, so it also tells whether a booked sweep can still come for it.
        long now = ticker.nanoTime();
        long target = firstWake - now < MAX_SWEEP_DELAY_NANOS ? firstWake : now + MAX_SWEEP_DELAY_NANOS;
        for (; ; ) {
            long booked = sweepAt.get();
            // Trusted only while still ahead of a reading taken after the push: a sweep for a time
            // still to come then had not run, so it drains this lease. A time already past may
            // belong to a sweep that ran before its booker published it (the booker was descheduled
            // between the two), so this lease books a sweep of its own rather than wait for none.
            if (booked != NO_SWEEP && booked - target <= 0 && booked - now > 0) {
                return;
            }
            // Booked before it is published, so that a lease that finds it published can count on
            // it even if this thread stops right here; a sweep booked by a loser of the race below
            // is merely one sweep too many.
            schedule(sweep, target - ticker.nanoTime());
            if (sweepAt.compareAndSet(booked, target)) {
                return;
            }
        }
    }

    /**
     * Ends, with the manager, a lease that the scheduler found still held after {@link #close()}
     * had ended the ones it knew of (it was being taken in from the arrivals meanwhile). Not on
     * the keep-alive thread, where its {@code lost()} callbacks must not run (K3): close() ends it,
     * on its own thread, once the scheduler has stopped; if close() is done already, another
     * thread does. Not through the arrivals: only {@link #arrive} pushes there, once per lease.
     *
     * @param lease a lease taken from the arrivals after close() began
     */
    void endAfterClose(DefaultLease lease) {
        completionsAfterClose.add(lease::endWithManager);
        if (endedForGood) {
            handOffLeftovers();
        }
    }

    /** Pushes a lease on the arrivals; lock-free. Only {@link #arrive} does, once per lease. */
    private void push(DefaultLease lease) {
        for (; ; ) {
            DefaultLease top = arrivals;
            // A pushed lease's link does not change while it is on the stack (the sweep takes the
            // whole stack at once), so ended leases on top can be stepped over: they were never
            // registered and need nothing from the scheduler, and the push succeeds only if the top
            // is still the one read, and with it everything below.
            DefaultLease below = top;
            for (int i = 0; i < SKIPPED_PER_PUSH && below != null && below.isOver(); i++) {
                below = below.nextArrival;
            }
            lease.nextArrival = below;
            if (ARRIVALS.compareAndSet(this, top, lease)) {
                return;
            }
        }
    }

    /** Takes every arrived lease; on the scheduler thread. */
    private void sweep() {
        // Cleared before draining: a lease that arrives from now on books a sweep of its own.
        sweepAt.set(NO_SWEEP);
        DefaultLease lease = (DefaultLease) ARRIVALS.getAndSet(this, (DefaultLease) null);
        while (lease != null) {
            DefaultLease following = lease.nextArrival;
            lease.nextArrival = null;
            lease.arrived();
            lease = following;
        }
    }

    /** Ends every lease still among the arrivals with the manager (C1, K3); once closed. */
    private void endArrivals() {
        DefaultLease lease = (DefaultLease) ARRIVALS.getAndSet(this, (DefaultLease) null);
        while (lease != null) {
            DefaultLease following = lease.nextArrival;
            lease.nextArrival = null;
            lease.endWithManager();
            lease = following;
        }
    }

    /** Runs a step on the scheduler thread as soon as it is free. */
    void onScheduler(Runnable step) {
        ScheduledThreadPoolExecutor timer = scheduler();
        if (timer != null) {
            try {
                timer.execute(step);
            } catch (java.util.concurrent.RejectedExecutionException closing) {
                // closing: the lease ends with the manager
            }
        }
    }

    /**
     * Sends one renewal of a lease and returns at once; never blocks the scheduler thread (K1).
     *
     * <p>A {@link BatchRenewingLockBackend} gets every renewal through {@link BatchRenewals}, also
     * one due while an earlier renewal of the lease is unanswered: that one goes alone, but from a
     * queue of its own on a bounded number of senders. Sent straight to the pool instead, such
     * renewals cost a pool thread and a round trip each; when an engine stops for longer than a
     * renewal period, every lease has one, they fill the pool, and the batches queued behind them
     * come too late for every lease (N7).
     *
     * @param lease the lease
     * @return the stage of the engine's answer, completed with {@code null} when the renewal was
     *     not sent after all
     */
    CompletionStage<Boolean> renewWithoutBlocking(DefaultLease lease) {
        if (backend instanceof AsyncLockBackend async) {
            try {
                return async.renewAsync(lease.resourceId(), lease.clientId(), lease.fencingToken());
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        if (backend instanceof InProcessLockBackend) {
            try {
                return CompletableFuture.completedFuture(
                        backend.renew(lease.resourceId(), lease.clientId(), lease.fencingToken()));
            } catch (RuntimeException e) {
                return CompletableFuture.failedFuture(e);
            }
        }
        BatchRenewals batching = batches;
        if (batching != null) {
            return batching.renew(lease);
        }
        ExecutorService pool = blockingRenewals();
        if (pool == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the manager is closed"));
        }
        try {
            // The task looks at the lease again when its turn comes: a renewal that waited in the
            // queue past a release or past the deadline is not sent (K1, D4).
            return CompletableFuture.supplyAsync(lease::renewBlocking, pool);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            return CompletableFuture.failedFuture(closing);
        }
    }

    /**
     * Completes a lease's loss stage off the renewal threads (K3), or a held-on lock's release stage
     * off the release thread (S2). The application's callbacks run inside the completion, so the
     * pool grows with slow callbacks instead of letting them delay other leases' losses or
     * releases; its threads die when idle.
     *
     * @param completion completes one stage
     */
    void notify(Runnable completion) {
        LossNotifier to = notifier;
        if (to != null && to.submit(completion)) {
            return; // the notifier takes completions until it closes, which close() waits for
        }
        if (!closed || OWN_THREAD.get() != this) {
            completion.run(); // never watched through the scheduler, or closing: no renewal thread here
            return;
        }
        // One of the keeper's threads, after close() began (a renewal answered, a deadline passed):
        // the completion runs the application's callbacks, which never run here (K3). close() runs
        // it once the scheduler stopped; if close() is done already, another thread does.
        completionsAfterClose.add(completion);
        if (endedForGood) {
            handOffLeftovers();
        }
    }

    /** Completions handed over on the keeper's own threads after close() began (see notify). */
    private void runCompletionsAfterClose() {
        Runnable completion;
        while ((completion = completionsAfterClose.poll()) != null) {
            completion.run();
        }
    }

    /**
     * Runs what a keeper thread handed over after close() had run everything (see {@link
     * #endAfterClose} and {@link #notify}) on a thread of its own, short-lived, as the manager's
     * own are stopping or stopped (K3). Only when close() could not wait for the scheduler: it was
     * called from a loss callback, or the scheduler outlasted its wait.
     */
    private void handOffLeftovers() {
        Thread late = new Thread(this::runCompletionsAfterClose, "dlm-lease-events-after-close");
        late.setDaemon(true);
        late.start();
    }

    // ---- threads --------------------------------------------------------------------------------

    private @Nullable ScheduledThreadPoolExecutor scheduler() {
        ScheduledThreadPoolExecutor timer = scheduler;
        if (timer != null || closed) {
            return timer;
        }
        synchronized (threadsLock) {
            if (scheduler == null && !closed) {
                ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, threads("dlm-keepalive"));
                created.setRemoveOnCancelPolicy(true);
                created.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
                // With the scheduler, not at the first loss: a loss must cost the keep-alive
                // thread nothing but a queue append (K3).
                notifier = new LossNotifier(this::threads);
                scheduler = created;
            }
            return scheduler;
        }
    }

    private @Nullable ExecutorService blockingRenewals() {
        ExecutorService pool = blockingRenewals;
        if (pool != null || closed) {
            return pool;
        }
        synchronized (threadsLock) {
            if (blockingRenewals == null && !closed) {
                blockingRenewals = pool(settings.heartbeatThreads(), "dlm-renewal");
            }
            return blockingRenewals;
        }
    }

    private ExecutorService pool(int size, String name) {
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads(name));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(
                    () -> {
                        OWN_THREAD.set(this);
                        task.run();
                    },
                    name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Ends every tracked lease as the manager closes, then stops the threads and waits for them
     * (C1). Called once, before the backend closes.
     */
    void close() {
        ExecutorService[] stopped;
        LossNotifier losses;
        synchronized (threadsLock) {
            // First, so that every lease reads as invalid from now on (K2, C1).
            closed = true;
            stopped = new ExecutorService[] {scheduler, blockingRenewals};
            losses = notifier;
        }
        for (DefaultLease[] current : leases.values()) {
            for (DefaultLease lease : current) {
                lease.endWithManager();
            }
        }
        leases.clear();
        // Watched but not swept yet, so not registered: they end with the manager too.
        endArrivals();
        for (ExecutorService pool : stopped) {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        long budget = settings.operationTimeout().toNanos();
        long deadline = System.nanoTime() + budget;
        // A callback that closes the manager cannot wait for its own thread to end.
        boolean onOwnThread = OWN_THREAD.get() == this;
        if (losses != null) {
            // Loss notifications already queued still run: a lease reported lost is told so (K3).
            losses.close(onOwnThread ? 0 : budget);
        }
        try {
            for (ExecutorService pool : stopped) {
                if (pool == null || onOwnThread) {
                    continue;
                }
                pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            // Leases the scheduler was taking in while the ones above were ended (endAfterClose),
            // and losses it reported once the notifier had closed (notify): here, on the closing
            // thread.
            endedForGood = true;
            runCompletionsAfterClose();
        }
    }

    /**
     * How many timer steps and sweeps wait on the scheduler; for the runtime's own tests, which
     * check that ended leases leave nothing queued.
     *
     * @return the scheduler's queue length, 0 before it started
     */
    int queuedTimers() {
        ScheduledThreadPoolExecutor timer = scheduler;
        return timer == null ? 0 : timer.getQueue().size();
    }
}
