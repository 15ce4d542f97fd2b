package io.dlm.cdi;

import io.dlm.Lease;
import io.dlm.spi.Durations;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Watches the lease of one intercepted call: is heartbeated by the shared sweeper and notices a
 * loss (D2, D4). The heartbeat and {@link #stop()} take the same monitor, so once {@code stop()}
 * returns no heartbeat is in flight or will be sent: heartbeats stop before the release (D4).
 */
final class LeaseGuard implements Runnable {

    private final Lease lease;
    private final HeldLock lock;
    private final LockPlan plan;
    private final LockEvents events;
    private final long leaseNanos;
    /** The thread to interrupt on loss, or {@code null} when the policy is off or the call is async. */
    private final @Nullable Thread target;
    /** Run once when the loss is known (async calls fail their stage at once); may be null. */
    private final @Nullable Consumer<LeaseLost.Reason> onLoss;

    private final Object monitor = new Object();
    // Guarded by monitor.
    private boolean stopped;
    private boolean interrupted;
    private long lastRenewal;
    // Written under monitor, read without it by the calling thread after stop().
    private volatile LeaseLost.@Nullable Reason lost;
    /** Set once the call ended or the lease was lost; the sweeper then drops the guard. */
    private volatile boolean finished;
    /** Set by the sweeper when it hands a beat to a renewal thread, cleared when the beat ends. */
    private volatile boolean beating;
    // Owned by the sweeper once the guard is in its queue.
    private long periodNanos;
    private long nextBeatNanos;

    LeaseGuard(
            Lease lease,
            HeldLock lock,
            LockPlan plan,
            LockEvents events,
            @Nullable Thread target,
            @Nullable Consumer<LeaseLost.Reason> onLoss) {
        this.lease = lease;
        this.lock = lock;
        this.plan = plan;
        this.events = events;
        this.leaseNanos = Durations.toNanosSaturated(plan.lease());
        this.target = target;
        this.onLoss = onLoss;
        this.lastRenewal = System.nanoTime();
    }

    /**
     * Sets the heartbeat period; called once, before the guard is handed to the sweeper.
     *
     * @param period nanoseconds between heartbeats
     */
    void beatEvery(long period) {
        periodNanos = period;
        nextBeatNanos = lastRenewal + period;
    }

    /**
     * Tells the sweeper whether a heartbeat is due, and if so books it and the next one.
     *
     * @param now the sweeper's clock reading
     * @return whether the sweeper must run this guard now
     */
    boolean claimBeatDueAt(long now) {
        if (beating || now - nextBeatNanos < 0) {
            return false;
        }
        nextBeatNanos = now + periodNanos;
        beating = true;
        return true;
    }

    /**
     * Tells whether the guard has nothing more to do.
     *
     * @return whether the call ended or the lease was lost
     */
    boolean isFinished() {
        return finished;
    }

    /** One heartbeat; run by a renewal thread of {@link LockHeartbeats}. */
    @Override
    public void run() {
        try {
            beat();
        } finally {
            beating = false;
        }
    }

    private void beat() {
        LeaseLost.Reason reason;
        synchronized (monitor) {
            if (stopped || lost != null) {
                return;
            }
            reason = renew();
            if (reason == null) {
                return;
            }
            lost = reason;
        }
        finished = true;
        // Observers hear of the loss first; then the opt-in policy stops the method, if it still runs.
        events.leaseLost(lock, plan.operation(), reason);
        if (onLoss != null) {
            onLoss.accept(reason);
        }
        if (target != null) {
            synchronized (monitor) {
                if (!stopped) {
                    target.interrupt();
                    interrupted = true;
                }
            }
        }
    }

    /**
     * Stops heartbeating; after it returns no heartbeat is sent any more (D4).
     *
     * @return whether this guard interrupted the calling thread, which the caller then clears
     */
    boolean stop() {
        boolean didInterrupt;
        synchronized (monitor) {
            stopped = true;
            didInterrupt = interrupted;
        }
        finished = true;
        return didInterrupt;
    }

    /**
     * The reason the lease was lost, if it was.
     *
     * @return the reason, or {@code null} while the lease is held
     */
    LeaseLost.@Nullable Reason lost() {
        return lost;
    }

    /**
     * Records a loss found by the final release (D4), unless a heartbeat found it first.
     *
     * @return {@code true} if this is the first report of the loss
     */
    boolean lostOnRelease() {
        synchronized (monitor) {
            if (lost != null) {
                return false;
            }
            lost = LeaseLost.Reason.RELEASE_REFUSED;
            return true;
        }
    }

    // Called under monitor.
    private LeaseLost.@Nullable Reason renew() {
        try {
            if (lease.renew()) {
                lastRenewal = System.nanoTime();
                return null;
            }
            return LeaseLost.Reason.HEARTBEAT_REFUSED;
        } catch (IllegalStateException closed) {
            return LeaseLost.Reason.HEARTBEAT_FAILED;
        } catch (RuntimeException failure) {
            if (System.nanoTime() - lastRenewal < leaseNanos) {
                DlmMessages.heartbeatFailed(lock, failure);
                return null;
            }
            return LeaseLost.Reason.HEARTBEAT_FAILED;
        }
    }
}
