package io.dlm.impl;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Durations;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The runtime's {@link Lease}: one acquisition, its local deadline and its keep-alive (K1-K4).
 *
 * <p>The local deadline (K2) only moves forward, to {@code sent + lease - drift margin} of each
 * renewal the engine confirmed, where {@code sent} is when the runtime sent that request (not
 * when the reply came), because the engine may have started the lease at any moment after that.
 *
 * <p>States: {@code HELD}, then {@code RELEASING} while a release is on its way (a renewal refused
 * meanwhile is the release's doing, not a loss), then {@code RELEASED}; or {@code LOST}, or
 * {@code ENDED_WITH_MANAGER}. Once a lease is not {@code HELD} it never is again, except that a
 * release that failed on the engine goes back to {@code HELD}, so that it may be retried (U4).
 *
 * <p>Its timer ({@link #step()}) and the fields marked "scheduler thread" are touched only by the
 * manager's single keep-alive thread, so they need no lock; {@link #lock} orders the sending of a
 * renewal against the start of a release (D4) and is private, so that no application code that
 * synchronizes on a {@code Lease} can stall the keep-alive thread. Nothing parks while holding
 * {@link #lock}: a release that must wait for a blocking renewal waits on a latch after leaving
 * it, so that a virtual thread releasing a lease does not pin its carrier (JDK 21 to 23).
 */
final class DefaultLease implements Lease {

    // In this order: every state from RELEASED on is final but for LOST becoming RELEASED (isOver).
    private static final int HELD = 0;
    private static final int RELEASING = 1;
    private static final int RELEASED = 2;
    private static final int LOST = 3;
    private static final int ENDED_WITH_MANAGER = 4;

    private static final System.Logger LOG = System.getLogger(DefaultLease.class.getName());

    private static final VarHandle DEADLINE;
    private static final VarHandle STATE;
    private static final VarHandle WATCHED;

    static {
        try {
            DEADLINE = MethodHandles.lookup().findVarHandle(DefaultLease.class, "deadline", long.class);
            STATE = MethodHandles.lookup().findVarHandle(DefaultLease.class, "state", int.class);
            WATCHED = MethodHandles.lookup().findVarHandle(DefaultLease.class, "watched", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final DefaultLockManager manager;
    private final LeaseKeeper keeper;
    private final String resourceId;
    private final String clientId;
    private final long fencingToken;
    /** The lease as this object counts it: capped by what one confirmation guarantees (K2). */
    private final long leaseNanos;

    private final long marginNanos;
    private final long periodNanos;
    /** The keeper's count of session losses before the acquisition was sent; a newer one ends it. */
    private final long epoch;
    /** When the acquisition was sent: where a lost lease's hold time counts from (O1, O3). */
    private final long sentAt;
    /** When the acquisition returned to the caller; holdAtLeast counts from here, the later end (S2). */
    private final long acquiredAt;

    /** One of the states above; changed by compare-and-set (a field, not an object of its own). */
    private volatile int state; // HELD (0) from the start

    /** Completed once on loss; {@link #lost()} hands out this very object, which only we complete. */
    private final LossStage lost = new LossStage();

    private final Object lock = new Object();
    // Made once per lease, at the acquisition: linking a lambda the first time costs milliseconds,
    // which must not fall on the keep-alive thread at the first loss, when every deadline counts.
    private final Runnable fire = this::fire;
    private final Runnable completeLoss = this::completeLoss;
    private volatile String lossReason = "";

    private volatile long deadline;
    /** Set by {@link #keepAlive()}: the timer sends renewals. */
    private volatile boolean keptAlive;
    /**
     * Set once the timer runs at all (keep-alive, or someone waits for {@link #lost()}); by
     * compare-and-set, so that exactly one call hands the lease to the keeper.
     */
    private volatile boolean watched;
    /**
     * Set once the keeper registered the lease, which happens when the scheduler takes it in (or a
     * failed release hands it back): a lease released before that skips the registry. Written
     * after the registration and read after the state changed, so that of a release and the
     * scheduler taking the lease in, at least one sees the other (see {@link #arrived()}).
     */
    private volatile boolean tracked;
    /** Set, under {@link #lock}, when a release starts: no renewal is sent from then on (D4). */
    private volatile boolean releasing;
    /**
     * How many blocking renewals (single or in a batch) are on the engine right now (guarded by
     * {@link #lock}); a release waits for them (D4).
     */
    private int blockingRenewalsOnTheirWay;
    /**
     * Opened when {@link #blockingRenewalsOnTheirWay} drops to zero; made only when a release has
     * to wait for a renewal, which is rare, so a lease costs no latch otherwise (guarded by {@link
     * #lock}).
     */
    private @Nullable CountDownLatch renewalsBack;

    /**
     * The booked timer. Written on the scheduler thread; read by a releasing thread, which
     * cancels it so that an ended lease leaves nothing queued (a timer it misses finds the lease
     * ended and does nothing).
     */
    private volatile @Nullable ScheduledFuture<?> pending;

    // Scheduler thread only (and the constructor).
    private long nextRenewalAt;
    private int inFlight;
    private long pendingAt;

    /**
     * {@link BatchRenewals}' own: this lease's latest queued renewal, which a renewal due while it
     * still waits in the queue joins. Written on the scheduler thread only.
     */
    volatile BatchRenewals.@Nullable Queued latestQueued;

    DefaultLease(
            DefaultLockManager manager,
            LeaseKeeper keeper,
            String resourceId,
            String clientId,
            long fencingToken,
            long leaseNanos,
            long sentAt,
            long epoch) {
        this.manager = manager;
        this.keeper = keeper;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.fencingToken = fencingToken;
        // What one confirmation guarantees: the lease, or less where the engine may end the lock
        // sooner on its own (a ZooKeeper session); deadlines and renewals follow it (K1, K2).
        this.leaseNanos = Math.min(leaseNanos, keeper.confirmationValidityNanos());
        this.marginNanos = keeper.settings().driftMarginNanos(this.leaseNanos);
        this.periodNanos = keeper.settings().heartbeatNanos(this.leaseNanos);
        this.epoch = epoch;
        this.sentAt = sentAt;
        this.acquiredAt = keeper.ticker().nanoTime();
        this.deadline = deadlineAfter(sentAt);
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
        if (!isCurrent()) {
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
        return state != LOST;
    }

    @Override
    public boolean release() {
        manager.ensureOpen();
        int before;
        CountDownLatch renewalsToWaitFor;
        synchronized (lock) {
            before = state;
            if (before == HELD) {
                state = RELEASING;
            } else if (before != LOST) {
                return false; // released, being released, or ended with the manager
            }
            // Stop the keep-alive first (D4): the timer sends under this lock and checks the flag,
            // and a blocking renewal already on the engine is let finish, so the release goes last.
            releasing = true;
            renewalsToWaitFor = latchForRenewalsOnTheirWay();
        }
        if (renewalsToWaitFor != null) {
            awaitBlockingRenewals(renewalsToWaitFor);
        }
        boolean released;
        try {
            released = manager.releaseAcquisition(resourceId, clientId, fencingToken);
        } catch (RuntimeException failure) {
            if (before == HELD) {
                // The engine failed: the lease may still be held, and the release may be retried (U4).
                // Unless the manager closed meanwhile: a lease it ended stays ended.
                boolean heldAgain;
                synchronized (lock) {
                    releasing = false;
                    heldAgain = STATE.compareAndSet(this, RELEASING, HELD);
                }
                if (heldAgain && watched && !keeper.isClosed()) {
                    // A watch() or step() during the release may have dropped it from the keeper.
                    keeper.track(this);
                    tracked = true;
                    keeper.onScheduler(this::step);
                }
                if (heldAgain && keeper.isClosed()) {
                    // close() ran while the lease was neither registered nor among the arrivals
                    // (the sweep took it in during the release), so it did not end it: it ends
                    // here. Read after the registration above, which close() reads after setting
                    // the flag: one of the two ends it (C1, K3).
                    endWithManager();
                }
            }
            throw failure;
        }
        if (before == LOST) {
            // The runtime had given it up already; a token-bound release takes only this
            // acquisition (K4), in case a renewal the engine confirmed too late kept it alive.
            STATE.compareAndSet(this, LOST, RELEASED);
            return false;
        }
        if (released) {
            // Not a plain write: a close() that ran meanwhile has ended the lease and told its
            // holder (lost() completed), and that end stays. The engine did release it, though.
            if (STATE.compareAndSet(this, RELEASING, RELEASED)) {
                forget();
            }
            return true;
        }
        lose(RELEASING, "it had already ended when it was released");
        STATE.compareAndSet(this, LOST, RELEASED);
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

    /** How much of {@code holdAtLeast}, counted from the acquisition, is still to come (S2). */
    long nanosLeftToHold(Duration holdAtLeast) {
        return Durations.toNanosSaturated(holdAtLeast) - (keeper.ticker().nanoTime() - acquiredAt);
    }

    @Override
    public CompletionStage<Boolean> releaseAfterHolding(Duration holdAtLeast) {
        Arguments.holdAtLeast(holdAtLeast);
        manager.ensureOpen();
        long holdFor = nanosLeftToHold(holdAtLeast);
        if (holdFor > 0) {
            keepAlive(); // held on until then (S2, K1)
        }
        return manager.releaseLater(this, holdFor);
    }

    @Override
    public Lease keepAlive() {
        manager.ensureOpen();
        if (!keptAlive && state == HELD) {
            keptAlive = true;
            if (!watch()) {
                // Watched already (lost() asked first): its timer waits for the deadline only,
                // and must now book the first renewal.
                keeper.onScheduler(this::step);
            }
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
        manager.ensureOpen();
        if (!watched && state == HELD) {
            watch();
        }
        return lost;
    }

    /**
     * Reports the lease lost, once; ignored while a release is on its way, whose answer decides.
     *
     * @param why the cause, for the exception's message
     */
    void markLost(String why) {
        lose(HELD, why);
    }

    /** Ends the lease as its manager closes: no longer valid, and reported lost to whoever waits. */
    void endWithManager() {
        if (STATE.compareAndSet(this, HELD, ENDED_WITH_MANAGER)
                || STATE.compareAndSet(this, RELEASING, ENDED_WITH_MANAGER)) {
            lost.report(new LockException(
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

    /**
     * Runs one blocking renewal on a pool thread of the keeper, unless the lease ended, a release
     * started or the deadline passed while the task waited in the queue (K1, D4).
     *
     * @return whether the engine renewed it, or {@code null} when no renewal was sent
     */
    @Nullable
    Boolean renewBlocking() {
        if (!startBlockingRenewal()) {
            return null;
        }
        try {
            return keeper.backend().renew(resourceId, clientId, fencingToken);
        } finally {
            blockingRenewalDone();
        }
    }

    /**
     * Looks at the lease just before a blocking renewal of it is sent, alone or in a batch: none is
     * sent once it ended, a release started, or its deadline passed while the renewal waited (K1,
     * D4). When it may be sent, a release from now on waits for {@link #blockingRenewalDone()}.
     *
     * @return whether to send the renewal
     */
    boolean startBlockingRenewal() {
        synchronized (lock) {
            if (releasing || state != HELD || keeper.ticker().nanoTime() - deadline >= 0) {
                return false;
            }
            blockingRenewalsOnTheirWay++;
            return true;
        }
    }

    /** A renewal that {@link #startBlockingRenewal()} let go is back (or failed): a release may go on. */
    void blockingRenewalDone() {
        synchronized (lock) {
            blockingRenewalsOnTheirWay--;
            if (blockingRenewalsOnTheirWay == 0 && renewalsBack != null) {
                renewalsBack.countDown();
                renewalsBack = null;
            }
        }
    }

    /**
     * The latch a release waits on for the blocking renewals on their way, or {@code null} when
     * there are none. Called under {@link #lock} once {@link #releasing} is set, so that no new
     * renewal starts and the count only goes down.
     */
    private @Nullable CountDownLatch latchForRenewalsOnTheirWay() {
        if (blockingRenewalsOnTheirWay == 0) {
            return null;
        }
        if (renewalsBack == null) {
            renewalsBack = new CountDownLatch(1);
        }
        return renewalsBack;
    }

    /** Waits, without holding {@link #lock}, at most one operation timeout for the renewals (D4). */
    private void awaitBlockingRenewals(CountDownLatch renewals) {
        try {
            // Timing out means the renewal is stuck: the release goes anyway, token-bound (K4).
            renewals.await(keeper.settings().operationTimeout().toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Held, the manager open, and no session or lease loss reported since the acquisition was sent. */
    private boolean isCurrent() {
        if (state != HELD || keeper.isClosed()) {
            return false;
        }
        if (keeper.lossEpoch() != epoch) {
            markLost("the engine reported every lease of this manager gone (session lost)");
            return false;
        }
        if (keeper.reportedGone(resourceId, fencingToken)) {
            markLost("the engine reported the lease gone");
            return false;
        }
        return true;
    }

    private void lose(int from, String why) {
        if (!STATE.compareAndSet(this, from, LOST)) {
            return;
        }
        lossReason = why;
        forget();
        keeper.notify(completeLoss);
    }

    /**
     * Completes {@link #lost()}; on the notifying thread, so that the exception, its message and
     * stack trace are not built on the keep-alive thread, whose time belongs to other deadlines.
     */
    private void completeLoss() {
        // A builder, not '+': a concatenation site is linked on its first run, which would put
        // milliseconds on the first loss of the process.
        String message = new StringBuilder(96 + resourceId.length() + clientId.length())
                .append("the lease of '")
                .append(resourceId)
                .append("' held by '")
                .append(clientId)
                .append("' (token ")
                .append(fencingToken)
                .append(") was lost: ")
                .append(lossReason)
                .toString();
        // Recorded first: whoever learns of the loss from lost() finds it in the metrics too; and
        // the holder is told whatever the recording does (K3).
        try {
            manager.leaseLossReported(resourceId, clientId, fencingToken, sentAt, lossReason);
        } finally {
            lost.report(new LockException(LockError.LOCK_NOT_HELD, message));
        }
    }

    /** Drops the lease from the keeper and its booked timer, so an ended lease costs nothing. */
    private void forget() {
        if (tracked) {
            keeper.untrack(this);
        }
        ScheduledFuture<?> booked = pending;
        if (booked != null) {
            booked.cancel(false);
        }
    }

    /**
     * Hands the lease to the keeper's scheduler, once. The keeper registers it (for loss reports
     * and close) only when the scheduler takes it from the arrivals, so a lease released before
     * that costs no registry work at all.
     *
     * @return whether this call did it
     */
    private boolean watch() {
        if (!WATCHED.compareAndSet(this, false, true)) {
            return false;
        }
        // Nothing but this thread has touched nextRenewalAt yet: the scheduler has not seen the lease.
        keeper.arrive(this, keptAlive && nextRenewalAt - deadline < 0 ? nextRenewalAt : deadline);
        // After the arrival: a loss the engine reported meanwhile either finds the lease among the
        // arrivals (the keeper then sweeps at once) or is seen here and reported now (K3).
        isCurrent();
        return true;
    }

    /**
     * The scheduler takes the lease from the arrivals (K1): registered with the keeper and its
     * timer started, unless it ended. The registration comes first and {@link #step()} looks at the
     * state after it, so a release that ran meanwhile either finds it registered and takes it out,
     * or is seen by the step, which takes it out.
     */
    void arrived() {
        if (isCurrent()) {
            keeper.track(this);
            tracked = true;
        }
        step();
    }

    /**
     * Whether the lease has ended for good (released, lost, or ended with the manager): the keeper
     * may drop it from its arrivals unseen. A release on its way is not the end: it may fail.
     */
    boolean isOver() {
        return state >= RELEASED;
    }

    /**
     * The keeper's link in its lock-free stack of arrivals ({@link LeaseKeeper#arrive}): written
     * before the push that publishes the lease, and cleared only by the sweep that took it off.
     */
    @Nullable
    DefaultLease nextArrival;

    // ---- the timer (scheduler thread) -------------------------------------------------------

    private void fire() {
        pending = null;
        step();
    }

    /** Declares the loss at the local deadline, sends renewals when due, books the next step. */
    private void step() {
        if (!isCurrent()) {
            cancelPending();
            keeper.untrack(this);
            if (keeper.isClosed()) {
                // The manager closed while the scheduler took the lease in, after close() had
                // ended the leases it found. Not ended here: its lost() callbacks would run on
                // the keep-alive thread (K3). The keeper hands it to the closing thread.
                keeper.endAfterClose(this);
            }
            return;
        }
        long now = keeper.ticker().nanoTime();
        long localDeadline = deadline;
        if (now - localDeadline >= 0) {
            markLost("no renewal was confirmed by its local deadline");
            cancelPending();
            return;
        }
        int maxInFlight = keeper.maxRenewalsInFlight();
        if (keptAlive && inFlight < maxInFlight && now - nextRenewalAt >= 0) {
            synchronized (lock) {
                if (!releasing) {
                    send(now);
                }
            }
            nextRenewalAt = now + periodNanos;
        }
        long wake = localDeadline;
        if (keptAlive && inFlight < maxInFlight && !releasing && nextRenewalAt - wake < 0) {
            wake = nextRenewalAt;
        }
        book(wake);
    }

    private void send(long sent) {
        inFlight++;
        keeper.renewWithoutBlocking(this)
                .whenComplete((renewed, failure) -> keeper.onScheduler(() -> renewed(sent, renewed, failure)));
    }

    private void renewed(long sent, @Nullable Boolean renewed, @Nullable Throwable failure) {
        inFlight--;
        if (failure != null || renewed != null) {
            manager.renewalAnswered(sent, failure);
        }
        if (state != HELD) {
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
            long retryAt = now + Math.max(periodNanos / 4, 1_000_000L);
            if (retryAt - nextRenewalAt < 0) {
                nextRenewalAt = retryAt;
            }
        } else if (Boolean.TRUE.equals(renewed)) {
            confirm(sent);
            manager.renewedInBackground(resourceId, clientId, fencingToken);
        } else if (Boolean.FALSE.equals(renewed)) {
            markLost("a renewal was refused");
            return;
        }
        // renewed == null: the renewal was not sent after all (see renewBlocking).
        step();
    }

    private void book(long wake) {
        if (pending != null) {
            if (pendingAt == wake) {
                return;
            }
            pending.cancel(false);
        }
        pendingAt = wake;
        // The delay from a fresh reading, not from the step's: time spent since (sending a
        // renewal, say) would otherwise move the timer, and a loss, that much later (K3).
        ScheduledFuture<?> booked = keeper.schedule(fire, wake - keeper.ticker().nanoTime());
        pending = booked;
        if (booked != null && state != HELD) {
            // Ended while we booked: the ending thread may have looked for a booking before this
            // one existed, so this one is cancelled here and nothing stays queued.
            booked.cancel(false);
            pending = null;
        }
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

    @Override
    public String toString() {
        return "Lease[" + resourceId + " held by " + clientId + ", token " + fencingToken + "]";
    }
}
