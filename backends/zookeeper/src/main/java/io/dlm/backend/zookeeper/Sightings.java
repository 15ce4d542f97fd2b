package io.dlm.backend.zookeeper;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What this process has seen of lock nodes held by others: since when each was unchanged. A
 * contender may end another process's lease only once it has seen the lock node unchanged for a
 * whole lease plus a margin, by its own monotonic clock (E2, E3, N6): no wall clock, of a client
 * or of a ZooKeeper server, takes part.
 *
 * <p>Why that is safe (M1, K2): every acquisition and renewal writes the lock node, which changes
 * its {@code mzxid}. If a read shows the node at {@code mzxid} {@code m}, the write of {@code m}
 * was applied before the reply came back, so after its request was sent. The holder counts its
 * lease from that send (K2) and gives it up a lease, less the drift margin, later; this process
 * waits a lease plus {@link #MARGIN_DIVISOR a margin} from the reply, and then deletes the node
 * only if it is still at {@code m} (a versioned delete, with the acquisition's key node). A renewal
 * applied meanwhile changes {@code mzxid}, and the delete fails. So the lease ends early only if
 * this process's monotonic clock runs faster than the holder's by more than the drift margin.
 *
 * <p>Entries are dropped once the node is gone or taken, and swept when many pile up; losing one
 * only makes the next contender wait a whole lease again.
 */
final class Sightings {

    /** The contender's own margin: a lease's hundredth, as K2's default drift, on top of the holder's. */
    static final long MARGIN_DIVISOR = 100;

    /** Entries older than their wait by this much are swept: their node is likely long gone. */
    private static final long SWEEP_GRACE_NANOS = 60_000_000_000L;

    private static final int FIRST_SWEEP_AT = 1024;

    /** One lock node as first seen: its incarnation, its last write, and when this process saw it. */
    private record Sighting(long czxid, long mzxid, long firstSeenNanos, long waitNanos) {}

    private final ConcurrentHashMap<String, Sighting> byLock = new ConcurrentHashMap<>();
    private final AtomicInteger sweepAt = new AtomicInteger(FIRST_SWEEP_AT);

    /**
     * Records a read of a lock node and tells how long its lease may still run.
     *
     * @param lock the lock node
     * @param czxid the node's {@code czxid}: which acquisition
     * @param mzxid the node's {@code mzxid}: its last acquisition or renewal
     * @param leaseMillis the lease length the node states
     * @param receivedNanos {@link System#nanoTime()} when the read's reply came back
     * @param nowNanos {@link System#nanoTime()} now
     * @return nanoseconds before this process may end the lease, {@code 0} once it may
     */
    long remainingNanos(String lock, long czxid, long mzxid, long leaseMillis, long receivedNanos, long nowNanos) {
        Sighting seen = byLock.get(lock);
        if (seen == null || seen.czxid != czxid || seen.mzxid != mzxid) {
            seen = new Sighting(czxid, mzxid, receivedNanos, waitNanos(leaseMillis));
            byLock.put(lock, seen);
            if (byLock.size() > sweepAt.get()) {
                sweep(nowNanos);
            }
        }
        long left = seen.waitNanos - (nowNanos - seen.firstSeenNanos);
        return Math.max(0, left);
    }

    /**
     * Forgets a lock node: it is gone, or this process just acquired it.
     *
     * @param lock the lock node
     */
    void forget(String lock) {
        byLock.remove(lock);
    }

    /**
     * How many lock nodes are remembered, for tests.
     *
     * @return the count
     */
    int size() {
        return byLock.size();
    }

    /**
     * How long a node must be seen unchanged before its lease may be ended: the lease plus the
     * margin, saturating.
     *
     * @param leaseMillis the lease length
     * @return nanoseconds
     */
    static long waitNanos(long leaseMillis) {
        if (leaseMillis >= Long.MAX_VALUE / 2_000_000L) {
            return Long.MAX_VALUE / 2;
        }
        long lease = leaseMillis * 1_000_000L;
        return lease + lease / MARGIN_DIVISOR;
    }

    private void sweep(long nowNanos) {
        byLock.values().removeIf(seen -> nowNanos - seen.firstSeenNanos - seen.waitNanos > SWEEP_GRACE_NANOS);
        sweepAt.set(Math.max(FIRST_SWEEP_AT, byLock.size() * 2));
    }
}
