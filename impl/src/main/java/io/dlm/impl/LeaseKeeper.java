package io.dlm.impl;

import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * Keeps the leases of one manager alive and notices their loss (K1-K3).
 *
 * <p>Three kinds of thread, each created on first use and gone after {@link #close()} (C1):
 *
 * <ul>
 *   <li>one scheduler thread that owns every lease's timer. It only books work and sends
 *       renewals; it never waits for an engine. An {@link AsyncLockBackend} renewal is a callback;
 *       an {@link InProcessLockBackend} renewal is a memory operation done right there; any other
 *       backend's renewal runs on the blocking pool below. So a slow renewal of one lease never
 *       holds up the timer of another (K1), and a lease whose renewal is still in flight is
 *       declared lost at its local deadline all the same (K3).
 *   <li>a bounded pool ({@code dlm.heartbeat.threads}) for blocking renewals, used only by
 *       backends without asynchronous renewal.
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
     * resource; at most a few per resource. Unwatched leases are not kept here, so a lease nobody
     * releases costs nothing once its holder forgot it.
     */
    private final ConcurrentHashMap<String, DefaultLease[]> leases = new ConcurrentHashMap<>();

    private final Object threadsLock = new Object();
    // Created on first use, under threadsLock; read without it once set.
    private volatile @Nullable ScheduledThreadPoolExecutor scheduler;
    private volatile @Nullable ExecutorService blockingRenewals;
    private volatile @Nullable ExecutorService notifier;
    private volatile boolean closed;
    /**
     * Counts engine reports that every lease is gone (a lost session). A lease remembers the count
     * it was acquired under, so that even an unwatched lease stops being valid at once (K2, K3).
     */
    private volatile long lossEpoch;

    LeaseKeeper(LockBackend backend, LockSettings settings, Ticker ticker) {
        this.backend = backend;
        this.settings = settings;
        this.ticker = ticker;
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
        DefaultLease[] current = leases.get(resourceId);
        if (current != null) {
            for (DefaultLease lease : current) {
                if (lease.fencingToken() == fencingToken) {
                    lease.markLost("the engine reported the lease gone");
                }
            }
        }
    }

    long lossEpoch() {
        return lossEpoch;
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
     * @return the stage of the engine's answer
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
        ExecutorService pool = blockingRenewals();
        if (pool == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("the manager is closed"));
        }
        try {
            return CompletableFuture.supplyAsync(
                    () -> backend.renew(lease.resourceId(), lease.clientId(), lease.fencingToken()), pool);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            return CompletableFuture.failedFuture(closing);
        }
    }

    /** Completes a lease's loss stage off the renewal threads (K3). */
    void notify(Runnable completion) {
        ExecutorService pool = notifier();
        if (pool == null) {
            completion.run(); // the manager is closing; its closing thread renews nothing
            return;
        }
        try {
            pool.execute(completion);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            completion.run();
        }
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

    private @Nullable ExecutorService notifier() {
        ExecutorService pool = notifier;
        if (pool != null || closed) {
            return pool;
        }
        synchronized (threadsLock) {
            if (notifier == null && !closed) {
                notifier = pool(4, "dlm-lease-events");
            }
            return notifier;
        }
    }

    private static ExecutorService pool(int size, String name) {
        ThreadPoolExecutor pool =
                new ThreadPoolExecutor(size, size, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads(name));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread thread = new Thread(task, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Ends every tracked lease as the manager closes, then stops the threads and waits for them
     * (C1). Called once, before the backend closes.
     */
    void close() {
        ExecutorService[] pools;
        synchronized (threadsLock) {
            // First, so that every lease reads as invalid from now on (K2, C1).
            closed = true;
            pools = new ExecutorService[] {scheduler, blockingRenewals, notifier};
        }
        for (DefaultLease[] current : leases.values()) {
            for (DefaultLease lease : current) {
                lease.endWithManager();
            }
        }
        leases.clear();
        for (ExecutorService pool : pools) {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
        long deadline = System.nanoTime() + settings.operationTimeout().toNanos();
        for (ExecutorService pool : pools) {
            if (pool != null) {
                try {
                    pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
