package io.dlm.cdi;

import io.dlm.Lease;
import io.dlm.LockException;
import io.dlm.interceptor.HeldLock;
import io.dlm.interceptor.LeaseLost;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Turns the runtime's report of a lost lease (K3) into what D4 asks of an intercepted call: the
 * {@link LeaseLost} event, at once, and the opt-in policy (interrupt the method, or fail its stage).
 * The runtime keeps the lease alive (K1) and decides when it is lost; this class only listens.
 *
 * <p>The loss arrives on one of the runtime's notification threads while the call may still run or
 * just be ending. A monitor orders the two: whoever comes first owns the report, so the event is
 * fired once; the event is fired under the monitor, so a call that ends after a reported loss
 * returns only once its observers have heard of it; and once {@link #stop()} returned, the running
 * method is never interrupted any more.
 */
final class LeaseGuard implements Consumer<LockException> {

    private final HeldLock lock;
    private final String operation;
    private final LockEvents events;
    /** The thread to interrupt on loss, or {@code null} when the policy is off or the call is async. */
    private final @Nullable Thread target;
    /** Run once when a loss is reported while the call runs (async calls fail their stage at once). */
    private final @Nullable Consumer<LeaseLost.Reason> onLoss;
    /** Right after the acquisition: what {@code holdAtLeast} counts from, at the latest (S2). */
    private final long watchedAt = System.nanoTime();

    // Guarded by this guard's monitor: the class is private to the package, so no code outside it
    // can synchronize on an instance, and a separate monitor object would cost an allocation per call.
    private boolean stopped;
    private boolean interrupted;
    // Also read without the monitor once stopped, by the thread that stopped it (see lost()).
    private LeaseLost.@Nullable Reason lost;

    private LeaseGuard(
            HeldLock lock,
            String operation,
            LockEvents events,
            @Nullable Thread target,
            @Nullable Consumer<LeaseLost.Reason> onLoss) {
        this.lock = lock;
        this.operation = operation;
        this.events = events;
        this.target = target;
        this.onLoss = onLoss;
    }

    /**
     * Tells whether some of {@code holdAtLeast} is left, counted from the acquisition (S2).
     *
     * @param holdAtLeast the plan's hold
     * @return {@code true} when the lock must still be held on after the call
     */
    boolean holdLeft(java.time.Duration holdAtLeast) {
        return !holdAtLeast.isZero() && System.nanoTime() - watchedAt < holdAtLeast.toNanos();
    }

    /**
     * Has the runtime keep a call's lease alive (K1) and listen for its loss (K3).
     *
     * @param lease the call's lease, just acquired
     * @param lock the lock as events and messages show it
     * @param operation {@code Bean#method}
     * @param events fires {@link LeaseLost}
     * @param target the thread to interrupt on loss, or {@code null}
     * @param onLoss run on loss while the call runs, or {@code null}
     * @return the guard; {@link #stop()} it when the call ends, before the release
     */
    static LeaseGuard watch(
            Lease lease,
            HeldLock lock,
            String operation,
            LockEvents events,
            @Nullable Thread target,
            @Nullable Consumer<LeaseLost.Reason> onLoss) {
        LeaseGuard guard = new LeaseGuard(lock, operation, events, target, onLoss);
        try {
            lease.keepAlive();
        } catch (IllegalStateException closed) {
            // The manager closed since the acquisition (C1): the runtime ends the lease, lost()
            // reports it, and the release finds it gone.
        }
        lease.lost().thenAccept(guard);
        return guard;
    }

    /**
     * Reports the loss, unless the call ended first (the final release then reports it); run by
     * the runtime, off its renewal threads (K3).
     *
     * @param loss the runtime's {@code LOCK_NOT_HELD}
     */
    @Override
    public void accept(LockException loss) {
        LeaseLost.Reason reason = reasonOf(loss);
        synchronized (this) {
            if (stopped || lost != null) {
                return;
            }
            lost = reason;
            // Observers hear of the loss first; then the opt-in policy stops the method.
            events.leaseLost(lock, operation, reason);
            if (target != null) {
                target.interrupt();
                interrupted = true;
            }
        }
        if (onLoss != null) {
            // Outside the monitor: it completes the caller's stage, whose continuations are the
            // application's and may take their time.
            onLoss.accept(reason);
        }
    }

    /**
     * Ends the guard as the call ends: from now on a loss is the final release's to report. Waits
     * for a loss report in progress, so its event is fired before the caller learns of the loss.
     *
     * @return whether this guard interrupted the calling thread, which the caller then clears
     */
    boolean stop() {
        synchronized (this) {
            stopped = true;
            return interrupted;
        }
    }

    /**
     * The reason the lease was lost while the call ran, if it was. Call after {@link #stop()}, on
     * the thread that called it: no report changes the reason after that, and {@code stop()} took
     * the monitor after any report that did, so the field is read without taking it again.
     *
     * @return the reason, or {@code null}
     */
    LeaseLost.@Nullable Reason lost() {
        return lost;
    }

    /**
     * Reports the loss that the final release found (D4: a release returning {@code false} counts
     * as a loss), unless it was reported while the call ran. Call after {@link #stop()}.
     *
     * @return how the loss was noticed
     */
    LeaseLost.Reason lostOnRelease() {
        synchronized (this) {
            if (lost == null) {
                lost = LeaseLost.Reason.RELEASE_REFUSED;
                events.leaseLost(lock, operation, lost);
            }
            return lost;
        }
    }

    /**
     * How the runtime noticed the loss. Its exception carries no machine-readable cause yet, so the
     * reason is read from the runtime's message. {@code LeaseLossTest} (a refused renewal) and
     * {@code SlowRenewalsTest} (the local deadline) pin the wording against the real runtime, so a
     * change there fails a test here rather than mislabels events.
     *
     * @param loss the runtime's {@code LOCK_NOT_HELD}
     * @return the reason the event names
     */
    static LeaseLost.Reason reasonOf(LockException loss) {
        String message = String.valueOf(loss.getMessage());
        if (message.contains("renewal was refused") || message.contains("engine reported")) {
            return LeaseLost.Reason.HEARTBEAT_REFUSED;
        }
        if (message.contains("when it was released")) {
            return LeaseLost.Reason.RELEASE_REFUSED;
        }
        // The local deadline passed without a confirmed renewal, or the manager was closed.
        return LeaseLost.Reason.HEARTBEAT_FAILED;
    }
}
