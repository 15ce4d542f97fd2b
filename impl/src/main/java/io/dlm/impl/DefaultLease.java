package io.dlm.impl;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The runtime's {@link Lease}: one acquisition, its local deadline and its keep-alive (K1-K4).
 *
 * <p>The local deadline (K2) only moves forward, to {@code sent + lease - drift margin} of each
 * renewal the engine confirmed, where {@code sent} is when the runtime sent that request (not
 * when the reply came), because the engine may have started the lease at any moment after that.
 *
 * <p>Its timer ({@link #step()}) and the fields marked "scheduler thread" are touched only by the
 * manager's single keep-alive thread, so they need no lock; what other threads read or change
 * (the state and the deadline) is atomic.
 */
final class DefaultLease implements Lease {

    private static final int HELD = 0;
    private static final int RELEASED = 1;
    private static final int LOST = 2;
    private static final int ENDED_WITH_MANAGER = 3;

    /**
     * Renewals of one lease that may be on their way at once. A renewal is sent when it is due
     * even while an earlier one is unanswered, so a lease only has to outlast one round trip plus
     * one interval, not two round trips; the cap stops a stalled engine from piling them up.
     */
    private static final int MAX_IN_FLIGHT = 3;

    private static final System.Logger LOG = System.getLogger(DefaultLease.class.getName());

    private final DefaultLockManager manager;
    private final LeaseKeeper keeper;
    private final String resourceId;
    private final String clientId;
    private final long fencingToken;
    private final long leaseNanos;
    private final long marginNanos;
    private final long periodNanos;
    private final AtomicInteger state = new AtomicInteger(HELD);
    /** The keeper's loss epoch when this lease was acquired; a newer one means the session died. */
    private final long epoch;

    private final CompletableFuture<LockException> lost = new CompletableFuture<>();
    private final Runnable fire = this::fire;

    private volatile long deadline;
    /** Set by {@link #keepAlive()}: the timer sends renewals. */
    private volatile boolean keptAlive;
    /** Set once the timer runs at all (keep-alive or someone waits for {@link #lost()}). */
    private volatile boolean watched;
    /** Set when a release is on its way: no renewal is sent after it (D4). */
    private volatile boolean releasing;

    private volatile @Nullable CompletionStage<LockException> lostView;

    // Scheduler thread only.
    private long nextRenewalAt;
    private int inFlight;
    private @Nullable ScheduledFuture<?> pending;
    private long pendingAt;

    DefaultLease(
            DefaultLockManager manager,
            LeaseKeeper keeper,
            String resourceId,
            String clientId,
            long fencingToken,
            long leaseNanos,
            long sentAt) {
        this.manager = manager;
        this.keeper = keeper;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.fencingToken = fencingToken;
        this.leaseNanos = leaseNanos;
        this.marginNanos = keeper.settings().driftMarginNanos(leaseNanos);
        this.periodNanos = keeper.settings().heartbeatNanos(leaseNanos);
        this.deadline = deadlineAfter(sentAt);
        this.epoch = keeper.lossEpoch();
        this.nextRenewalAt = sentAt + periodNanos;
    }

    @Override
    public String resourceId() {
        return resourceId;
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public long fencingToken() {
        return fencingToken;
    }

    @Override
    public boolean renew() {
        manager.ensureOpen();
        if (state.get() != HELD) {
            return false;
        }
        long sent = keeper.ticker().nanoTime();
        if (sent - deadline >= 0) {
            markLost("its local deadline passed before this renewal");
            return false;
        }
        boolean renewed = manager.renewAcquisition(resourceId, clientId, fencingToken);
        if (!renewed) {
            markLost("a renewal was refused");
            return false;
        }
        if (keeper.ticker().nanoTime() - deadline >= 0) {
            // Confirmed, but only after the local deadline: by then the lease counted as ended (K2).
            markLost("its renewal was confirmed only after the local deadline");
            return false;
        }
        confirm(sent);
        return true;
    }

    @Override
    public boolean release() {
        manager.ensureOpen();
        int now = state.get();
        if (now != HELD && now != LOST) {
            return false;
        }
        // Stop the keep-alive first, so that no renewal is sent after the release (D4): the timer
        // checks this flag and sends under the same monitor.
        synchronized (this) {
            releasing = true;
        }
        boolean released = manager.releaseAcquisition(resourceId, clientId, fencingToken);
        if (now == LOST) {
            // The runtime already gave it up; the engine may still have held it (a confirmation
            // that came late), and a token-bound release takes only this acquisition (K4).
            state.compareAndSet(LOST, RELEASED);
            return false;
        }
        if (released) {
            if (state.compareAndSet(HELD, RELEASED)) {
                keeper.untrack(this);
            }
            return true;
        }
        markLost("it had already ended when it was released");
        state.compareAndSet(LOST, RELEASED);
        return false;
    }

    @Override
    public void close() {
        try {
            release();
        } catch (IllegalStateException closed) {
            // The manager closed (C1): its locks are released or expire; nothing to do here.
        }
    }

    @Override
    public Lease keepAlive() {
        manager.ensureOpen();
        if (!keptAlive && state.get() == HELD) {
            keptAlive = true;
            watch();
        }
        return this;
    }

    @Override
    public boolean isValid() {
        return isCurrent() && keeper.ticker().nanoTime() - deadline < 0;
    }

    @Override
    public Duration remaining() {
        if (!isCurrent()) {
            return Duration.ZERO;
        }
        long left = deadline - keeper.ticker().nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    @Override
    public CompletionStage<LockException> lost() {
        if (keeper.isClosed()) {
            endWithManager();
        } else if (!watched && state.get() == HELD) {
            watch();
        }
        CompletionStage<LockException> view = lostView;
        if (view == null) {
            view = lost.minimalCompletionStage();
            lostView = view;
        }
        return view;
    }

    /**
     * Reports the lease lost, once; the stage completes off the renewal threads (K3).
     *
     * @param why the cause, for the exception's message
     */
    void markLost(String why) {
        if (!state.compareAndSet(HELD, LOST)) {
            return;
        }
        keeper.untrack(this);
        LockException loss = new LockException(
                LockError.LOCK_NOT_HELD,
                "the lease of '" + resourceId + "' held by '" + clientId + "' (token " + fencingToken + ") was lost: "
                        + why);
        keeper.notify(() -> lost.complete(loss));
    }

    /** Ends the lease as its manager closes: no longer valid, and reported lost to whoever waits. */
    void endWithManager() {
        if (state.compareAndSet(HELD, ENDED_WITH_MANAGER)) {
            lost.complete(new LockException(
                    LockError.LOCK_NOT_HELD,
                    "the lease of '" + resourceId + "' held by '" + clientId + "' ended: the manager was closed"));
        }
    }

    /**
     * The loss, if it was reported; for {@code withLock}, which must not start watching a lease it
     * has just released.
     *
     * @return the loss, or {@code null}
     */
    @Nullable
    LockException lossIfReported() {
        return lost.getNow(null);
    }

    /** Held, the manager open and the engine's session not lost since the acquisition. */
    private boolean isCurrent() {
        if (state.get() != HELD) {
            return false;
        }
        if (keeper.isClosed()) {
            return false;
        }
        if (keeper.lossEpoch() != epoch) {
            markLost("the engine reported every lease of this manager gone (session lost)");
            return false;
        }
        return true;
    }

    /** Registers the lease with the keeper and starts its timer; once. */
    private void watch() {
        synchronized (this) {
            if (watched) {
                return;
            }
            watched = true;
        }
        keeper.track(this);
        if (keeper.lossEpoch() != epoch) {
            markLost("the engine reported every lease of this manager gone (session lost)");
        }
        if (state.get() != HELD) {
            keeper.untrack(this); // ended while we registered
            return;
        }
        keeper.onScheduler(this::step);
    }

    // ---- the timer (scheduler thread) -------------------------------------------------------

    private void fire() {
        pending = null;
        step();
    }

    /** Declares the loss at the local deadline, sends renewals when due, books the next step. */
    private void step() {
        if (state.get() != HELD) {
            cancelPending();
            keeper.untrack(this);
            return;
        }
        long now = keeper.ticker().nanoTime();
        long localDeadline = deadline;
        if (now - localDeadline >= 0) {
            markLost("no renewal was confirmed by its local deadline");
            cancelPending();
            return;
        }
        boolean canSend = keptAlive && inFlight < MAX_IN_FLIGHT;
        if (canSend && now - nextRenewalAt >= 0) {
            synchronized (this) {
                if (!releasing) {
                    send(now);
                }
            }
            nextRenewalAt = now + periodNanos;
            canSend = inFlight < MAX_IN_FLIGHT;
        }
        long wake = localDeadline;
        if (canSend && !releasing && nextRenewalAt - wake < 0) {
            wake = nextRenewalAt;
        }
        book(wake, now);
    }

    private void send(long sent) {
        inFlight++;
        keeper.renewWithoutBlocking(this)
                .whenComplete((renewed, failure) -> keeper.onScheduler(() -> renewed(sent, renewed, failure)));
    }

    private void renewed(long sent, @Nullable Boolean renewed, @Nullable Throwable failure) {
        inFlight--;
        if (state.get() != HELD) {
            return;
        }
        long now = keeper.ticker().nanoTime();
        if (now - deadline >= 0) {
            markLost("no renewal was confirmed by its local deadline");
            return;
        }
        if (failure != null) {
            LOG.log(
                    System.Logger.Level.DEBUG,
                    () -> "Renewal of '" + resourceId + "' failed; trying again until its local deadline",
                    failure);
            // Try again soon rather than a whole period later: the deadline is what counts.
            nextRenewalAt = Math.min(nextRenewalAt, now + Math.max(periodNanos / 4, 1_000_000L));
        } else if (Boolean.TRUE.equals(renewed)) {
            confirm(sent);
            manager.renewedInBackground(resourceId, clientId, fencingToken);
        } else {
            markLost("a renewal was refused");
            return;
        }
        step();
    }

    private void book(long wake, long now) {
        if (pending != null) {
            if (pendingAt == wake) {
                return;
            }
            pending.cancel(false);
        }
        pendingAt = wake;
        pending = keeper.schedule(fire, wake - now);
    }

    private void cancelPending() {
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
    }

    // ---- deadline ---------------------------------------------------------------------------

    private void confirm(long sent) {
        long renewed = deadlineAfter(sent);
        for (; ; ) {
            long current = deadline;
            if (renewed - current <= 0) {
                return;
            }
            if (DEADLINE.compareAndSet(this, current, renewed)) {
                return;
            }
        }
    }

    private long deadlineAfter(long sent) {
        return sent + (leaseNanos - marginNanos);
    }

    private static final java.lang.invoke.VarHandle DEADLINE;

    static {
        try {
            DEADLINE =
                    java.lang.invoke.MethodHandles.lookup().findVarHandle(DefaultLease.class, "deadline", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public String toString() {
        return "Lease[" + resourceId + " held by " + clientId + ", token " + fencingToken + "]";
    }
}
