package io.dlm.impl;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Releases, in the background, the leases that {@code holdAtLeast} keeps after their work returned
 * (S2). The lease is kept alive until then (K1); its release is a token-bound one (K4), so a lease
 * lost meanwhile is left alone. One thread, created on first use: a release is one engine call
 * bounded by {@code dlm.operation.timeout}, and releases due at once are rare.
 *
 * <p>What depends on a background release's outcome (the caller's callbacks on the stage, the CDI
 * layer's {@code LockReleased} observers) runs where the runtime runs {@code lost()}'s callbacks
 * (K3), never on the release thread: a callback that blocks holds up no other release.
 */
final class DeferredReleases {

    private static final System.Logger LOG = System.getLogger(DeferredReleases.class.getName());

    /** Leases booked and not yet released, with their outcome; whoever takes one out releases it. */
    private final Map<DefaultLease, CompletableFuture<Boolean>> pending = new ConcurrentHashMap<>();

    /** Runs a completion off the runtime's own threads: where {@code lost()} stages complete (K3). */
    private final Executor completions;

    private final Object threadLock = new Object();
    private @Nullable ScheduledThreadPoolExecutor timer;
    private boolean closed;

    /**
     * Creates the releaser; its thread comes with the first release that is not due at once.
     *
     * @param completions runs a completion, and with it the application's callbacks, on a thread
     *     that neither releases nor renews leases
     */
    DeferredReleases(Executor completions) {
        this.completions = completions;
    }

    /**
     * Books the release of {@code lease} after {@code delayNanos}; at once when the manager is
     * closing.
     */
    CompletionStage<Boolean> releaseAfter(DefaultLease lease, long delayNanos) {
        CompletableFuture<Boolean> released = new CompletableFuture<>();
        CompletableFuture<Boolean> booked = pending.putIfAbsent(lease, released);
        if (booked != null) {
            return booked; // asked twice: one release, one outcome
        }
        ScheduledThreadPoolExecutor releaser = delayNanos > 0 ? timer() : null;
        if (releaser == null) {
            releaseIfPending(lease, Runnable::run); // due already, or closing: as a release would
            return released;
        }
        try {
            releaser.schedule(() -> releaseIfPending(lease, completions), delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            releaseIfPending(lease, Runnable::run); // close() stopped the thread just now
        }
        return released;
    }

    /** Releases {@code lease} unless someone else took it, and completes its stage through {@code completing}. */
    private void releaseIfPending(DefaultLease lease, Executor completing) {
        CompletableFuture<Boolean> outcome = pending.remove(lease);
        if (outcome == null) {
            return; // close() took it
        }
        boolean released;
        try {
            released = lease.release();
        } catch (RuntimeException failure) {
            released = false;
            // Nobody waits for this release: the lock expires by its lease (X1), as a crashed
            // holder's would; the failure is logged, not lost.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "releasing '" + lease.resourceId()
                            + "' after its hold-at-least time failed; it expires by its lease",
                    failure);
        }
        boolean result = released;
        completing.execute(() -> outcome.complete(result));
    }

    private @Nullable ScheduledThreadPoolExecutor timer() {
        synchronized (threadLock) {
            if (timer == null && !closed) {
                // Holds on are occasional: the thread goes when idle and comes back when needed.
                timer = OccasionalTimer.create("dlm-deferred-release");
            }
            return timer;
        }
    }

    /**
     * Releases the booked leases now, on the closing thread, until {@code deadlineNanos}, and stops
     * the thread (C1, S2). Called by the manager's close() while the manager is still open, so
     * that the releases can be sent. A lease not reached by the deadline is left to the manager's
     * own release of what it holds, and its stage completes with {@code false}.
     *
     * @param deadlineNanos by when, on {@link System#nanoTime()}, to be done
     */
    void close(long deadlineNanos) {
        ScheduledThreadPoolExecutor releaser;
        synchronized (threadLock) {
            closed = true;
            releaser = timer;
        }
        if (releaser != null) {
            // Not shutdownNow(): a release on its way is let finish, not interrupted; the delayed
            // ones are dropped (the timer's policy) and sent just below instead.
            releaser.shutdown();
        }
        for (DefaultLease lease : pending.keySet()) {
            if (deadlineNanos - System.nanoTime() > 0) {
                // The manager's completion threads still run (they close later): a callback that
                // blocks does not hold up the releases left to do here.
                releaseIfPending(lease, completions);
            } else {
                CompletableFuture<Boolean> outcome = pending.remove(lease);
                if (outcome != null) {
                    outcome.complete(false);
                }
            }
        }
        if (releaser != null) {
            try {
                releaser.awaitTermination(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
