package io.dlm.impl.memory;

import io.dlm.spi.LockBackend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * One held lock: the value of the backend's map and, at the same time, a node of the expiry
 * wheel, so that holding a lock costs one object beside the map entry.
 *
 * <p>The lease's whole life is its {@link #deadline} word. Release, renewal, reaping and takeover
 * all change it with compare-and-set, so exactly one of them wins a race: a heartbeat can never
 * revive a lease that a takeover already ended (H2), and an unlock can never end a lease that a
 * takeover already replaced (U2).
 */
final class Holding {

    /** The deadline of a lease that was released or reaped; no live deadline ever equals it. */
    static final long ENDED = Long.MIN_VALUE;

    private static final VarHandle DEADLINE;

    static {
        try {
            DEADLINE = MethodHandles.lookup().findVarHandle(Holding.class, "deadline", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String resourceId;
    final String clientId;
    final long fencingToken;
    final long leaseNanos;
    /** The runtime's id of the attempt that made this holding, for undo (X5). */
    final long attempt;

    /** Monotonic-clock instant at which the lease runs out (E3), or {@link #ENDED}. */
    private volatile long deadline;

    // Links of the expiry wheel; read and written only under the lock of the wheel's stripe.
    @Nullable
    Holding previous;

    @Nullable
    Holding next;

    /** True while the node is in one of the wheel's buckets; guarded like the links. */
    boolean scheduled;

    Holding(String resourceId, String clientId, long fencingToken, long leaseNanos, long attempt, long now) {
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.fencingToken = fencingToken;
        this.leaseNanos = leaseNanos;
        this.attempt = attempt;
        this.deadline = deadlineAfter(now, leaseNanos);
    }

    /** A node that heads a bucket of the wheel; it holds no lock. */
    Holding() {
        this("", "", 0, 0, 0, 0);
        this.deadline = ENDED;
    }

    /**
     * Tells whether this is the acquisition a release or renewal names (K4).
     *
     * @param client the caller's client id
     * @param token the acquisition's token, or {@code LockBackend.ANY_ACQUISITION} for any of the client's
     * @return whether it matches
     */
    boolean isOf(String client, long token) {
        return clientId.equals(client) && (token == LockBackend.ANY_ACQUISITION || token == fencingToken);
    }

    long deadline() {
        return deadline;
    }

    /**
     * Tells whether the lease is live at {@code now}.
     *
     * @param now a reading of the backend's ticker
     * @return {@code false} once released, reaped, or expired (E2)
     */
    boolean isLiveAt(long now) {
        long d = deadline;
        return d != ENDED && d - now > 0;
    }

    /**
     * Ends a live lease (release): fails if it already ended or expired.
     *
     * @param now a reading of the backend's ticker
     * @return whether this call ended a live lease
     */
    boolean endIfLive(long now) {
        for (; ; ) {
            long d = deadline;
            if (d == ENDED) {
                return false;
            }
            if (DEADLINE.compareAndSet(this, d, ENDED)) {
                // Ended either way: a live lease by this release, an expired one as every
                // observer of an expiry must (see renewIfLive).
                return d - now > 0;
            }
        }
    }

    /**
     * Ends a lease that is no longer live (takeover, reaping): fails while it is live.
     *
     * @param now a reading of the backend's ticker
     * @return whether the lease is over, by this call or before
     */
    boolean endIfExpired(long now) {
        for (; ; ) {
            long d = deadline;
            if (d == ENDED) {
                return true;
            }
            if (d - now > 0) {
                return false;
            }
            if (DEADLINE.compareAndSet(this, d, ENDED)) {
                return true;
            }
        }
    }

    /**
     * Moves the deadline of a live lease to now plus its lease length (H1); allocates nothing (H3).
     *
     * @param now a reading of the backend's ticker
     * @return whether the lease was live and is extended
     */
    boolean renewIfLive(long now) {
        long renewed = deadlineAfter(now, leaseNanos);
        for (; ; ) {
            long d = deadline;
            if (d == ENDED) {
                return false;
            }
            if (d - now <= 0) {
                // Seal the expiry: a heartbeat that read the clock before the deadline but was
                // stalled until after it then fails its compare-and-set instead of reviving (H2).
                endIfExpired(now);
                return false;
            }
            if (renewed - d <= 0) {
                return true; // a concurrent heartbeat already reached further; never move back
            }
            if (DEADLINE.compareAndSet(this, d, renewed)) {
                return true;
            }
        }
    }

    /**
     * Tells whether the lease is live at {@code now}, sealing it as ended if it is not, so that no
     * heartbeat delayed from before the expiry can revive what an observer saw expire (H2).
     *
     * @param now a reading of the backend's ticker
     * @return the remaining nanoseconds, or a value of at most zero when the lease is over
     */
    long remainingOrSeal(long now) {
        long d = deadline;
        if (d == ENDED) {
            return 0;
        }
        long remaining = d - now;
        if (remaining <= 0) {
            endIfExpired(now);
        }
        return remaining;
    }

    private static long deadlineAfter(long now, long leaseNanos) {
        long d = now + leaseNanos;
        // Ticker readings may sit anywhere in the long range; only the sentinel itself is taken.
        return d == ENDED ? d + 1 : d;
    }
}
