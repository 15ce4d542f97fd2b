package io.dlm.impl.memory;

import io.dlm.spi.LockBackend;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * One held lock: the value of the backend's map and, at the same time, a node of the expiry
 * wheel, so that holding a lock costs one object beside the map entry.
 *
 * <p>The lease's whole life is its {@link #deadline} word. Release, renewal, reaping and takeover
 * all change it with compare-and-set, so exactly one of them wins a race: a heartbeat can never
 * revive a lease that a takeover already ended (H2), and an unlock can never end a lease that a
 * takeover already replaced (U2). An ended lease's word is one of two sentinels: {@link #RELEASED}
 * when the thread that ended it also takes it out of the map (release, undo), so the wheel can drop
 * it without looking at the map, and {@link #ENDED} otherwise (expiry seen by an observer, takeover,
 * reaping), when the reaper must make sure the map no longer holds it.
 *
 * <p>A new holding is also the remapping function of its own acquisition ({@link #apply}), so an
 * acquisition allocates nothing but the holding and the map's node. Until it takes the resource, its
 * deadline word holds the acquisition's clock reading and, when the resource turned out to be held,
 * the holder's deadline, which only the acquiring thread reads; when it takes the resource, its
 * real deadline is set before the push on the wheel's arrivals makes it visible to anyone else.
 */
final class Holding implements BiFunction<String, Holding, Holding> {

    /** The deadline of a lease that ended and may still be in the map; no live deadline equals it. */
    static final long ENDED = Long.MIN_VALUE;

    /** The deadline of a lease whose ender also removes it from the map; no live deadline equals it. */
    static final long RELEASED = Long.MIN_VALUE + 1;

    private static final VarHandle DEADLINE;
    private static final VarHandle PREVIOUS;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            DEADLINE = lookup.findVarHandle(Holding.class, "deadline", long.class);
            PREVIOUS = lookup.findVarHandle(Holding.class, "previous", Holding.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final String resourceId;
    final String clientId;
    /**
     * Drawn inside the map's atomic step that installs this holding (F1), by the push on its
     * stripe's arrivals, which publishes it; never changed after. In an arrivals bottom: the last
     * token the stripe issued.
     */
    long fencingToken;

    final long leaseNanos;
    /** The runtime's id of the attempt that made this holding, for undo (X5). */
    final long attempt;

    /** Monotonic-clock instant at which the lease runs out (E3), or one of the two sentinels. */
    private volatile long deadline;

    /**
     * Wheel link, guarded by the lock of the wheel's stripe; not {@code null} exactly while the node
     * is filed in a bucket. Written with a volatile store and read without the lock by a release,
     * which thus knows whether it must take the lock to unlink (see {@link ExpiryWheel}).
     */
    @Nullable
    Holding previous;

    /** Wheel link: the next node of a bucket, or of the stripe's arrivals while not yet filed. */
    @Nullable
    Holding next;

    /**
     * The stripe of the wheel whose arrivals take this holding and issue its token; {@code null}
     * for a bucket head and an arrivals bottom, which hold no lock.
     */
    final ExpiryWheel.@Nullable Stripe stripe;

    /**
     * A candidate for an acquisition made at {@code now}; the map's {@code compute} decides whether
     * it becomes the holding.
     */
    Holding(
            String resourceId,
            String clientId,
            long leaseNanos,
            long attempt,
            long now,
            ExpiryWheel.@Nullable Stripe stripe) {
        this.stripe = stripe;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.leaseNanos = leaseNanos;
        this.attempt = attempt;
        // Plain: the candidate is private to its thread until the map publishes it.
        DEADLINE.set(this, now);
    }

    /** A node that heads a bucket of the wheel; it holds no lock. */
    Holding() {
        this("", "", 0, 0, ENDED, null);
    }

    /**
     * The node at the bottom of a stripe's arrivals: it holds no lock, and carries the stripe's
     * last token while no arrival does.
     *
     * @param lastToken the last token the stripe issued
     * @return the node
     */
    static Holding arrivalsBottom(long lastToken) {
        Holding bottom = new Holding();
        bottom.fencingToken = lastToken;
        return bottom;
    }

    /** Whether this is the bottom of a stripe's arrivals (or a bucket head): no lease of its own. */
    boolean holdsNoLock() {
        return stripe == null;
    }

    /**
     * The remapping step of this holding's acquisition, run by the map with the resource's bin
     * locked: takes the resource when it is free or its lease is over, drawing the token then, so
     * that no other acquisition of the resource runs between the draw and the install (F1). The
     * draw is the push on the stripe's arrivals, which the wheel needs anyway: one atomic step for
     * both, and the lease is in the arrivals before anyone can see it in the map.
     *
     * @param resource the resource, this holding's own
     * @param current the present holding, or {@code null}
     * @return this holding when it takes the resource, else {@code current}, unchanged
     */
    @Override
    public Holding apply(String resource, @Nullable Holding current) {
        long now = (long) DEADLINE.get(this);
        if (current != null) {
            long observed = current.deadline;
            if (!isEnded(observed) && observed - now > 0) {
                DEADLINE.set(this, observed);
                return current;
            }
            if (!current.endIfExpired(now)) {
                // Renewed between the two reads: it is live, until at least the new deadline.
                DEADLINE.set(this, current.deadline);
                return current;
            }
        }
        ExpiryWheel.Stripe arrivals = stripe;
        if (arrivals == null) {
            throw new IllegalStateException("a bucket head takes no resource");
        }
        // The deadline first: the push publishes the holding to the wheel's filers.
        DEADLINE.set(this, deadlineAfter(now, leaseNanos));
        arrivals.push(this);
        return this;
    }

    /**
     * For a candidate the map did not install: the live deadline of the holder it met.
     *
     * @return a deadline that was live when the acquisition compared it
     */
    long observedDeadline() {
        return (long) DEADLINE.get(this);
    }

    /**
     * Tells whether a deadline word is one of the two ended sentinels.
     *
     * @param d a deadline word
     * @return whether it marks an ended lease
     */
    static boolean isEnded(long d) {
        return (d | 1L) == RELEASED;
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

    /** Whether the node is filed in a bucket of the wheel, read without the stripe's lock. */
    boolean isFiled() {
        return PREVIOUS.getVolatile(this) != null;
    }

    /** Sets the back link with a volatile store; see {@link #isFiled()}. */
    void linkPrevious(@Nullable Holding node) {
        PREVIOUS.setVolatile(this, node);
    }

    /**
     * Tells whether the lease is live at {@code now}.
     *
     * @param now a reading of the backend's ticker
     * @return {@code false} once released, reaped, or expired (E2)
     */
    boolean isLiveAt(long now) {
        long d = deadline;
        return !isEnded(d) && d - now > 0;
    }

    /**
     * Ends a live lease (release, undo), whose caller then removes it from the map: fails if it
     * already ended or expired.
     *
     * @param now a reading of the backend's ticker
     * @return whether this call ended a live lease
     */
    boolean endIfLive(long now) {
        for (; ; ) {
            long d = deadline;
            if (isEnded(d)) {
                return false;
            }
            boolean live = d - now > 0;
            // An expired lease is ended too, as every observer of an expiry must (see renewIfLive);
            // the caller leaves that one in the map, for a takeover or the reaper.
            if (DEADLINE.compareAndSet(this, d, live ? RELEASED : ENDED)) {
                return live;
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
            if (isEnded(d)) {
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
            if (isEnded(d)) {
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
        if (isEnded(d)) {
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
        // Ticker readings may sit anywhere in the long range; only the sentinels themselves are taken.
        return isEnded(d) ? RELEASED + 1 : d;
    }
}
