package io.dlm.backend.zookeeper;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.IntConsumer;
import org.apache.zookeeper.KeeperException.Code;
import org.jspecify.annotations.Nullable;

/**
 * Ends this process's own leases when they run out (E2, E4): at a lease's end by this process's
 * monotonic clock ({@link HeldLease#expiryNanos()}), if it was not renewed meanwhile, its lock and
 * key node are deleted at the known version, which frees the resource and wakes the waiters' watches
 * at once. Only the holder's process knows when its lease began without asking any clock but its
 * own, so only it can free the lock exactly on time; a contender elsewhere must watch the node for a
 * whole lease first ({@link Sightings}). The deletion comes after the runtime's own deadline (K2),
 * which counts from an earlier instant and subtracts the drift margin.
 *
 * <p>One booking per lease on the backend's {@link Timeouts} thread; a renewal does not touch it: a
 * booking that comes due before the lease's (renewed) end books itself again for that end. Bookings
 * are cancelled when the lease is released, and all of them when the session is lost.
 */
final class LeaseReaper {

    /** Sends the deletion of an expired lease and reports ZooKeeper's result code; never blocks. */
    @FunctionalInterface
    interface Deletion {
        void send(String resourceId, HeldLease lease, IntConsumer resultCode);
    }

    /** After a deletion failed for want of a connection, try again this much later, at least. */
    private static final long RETRY_NANOS = 500_000_000L;

    /**
     * A lease whose deletion keeps failing this long after its end is given up: its session's end,
     * or a contender ({@link Sightings}), frees the lock then.
     */
    private static final long GIVE_UP_NANOS = 60_000_000_000L;

    private final Timeouts timer;
    private final Function<String, @Nullable HeldLease> current;
    private final Deletion deletion;
    private final BiConsumer<String, HeldLease> forget;
    /** By key node: one booking per acquisition. */
    private final ConcurrentHashMap<String, ScheduledFuture<?>> bookings = new ConcurrentHashMap<>();

    /**
     * @param timer where bookings run
     * @param current the lease this backend knows for a resource
     * @param deletion sends the deletion
     * @param forget drops a lease that is over from what the backend knows
     */
    LeaseReaper(
            Timeouts timer,
            Function<String, @Nullable HeldLease> current,
            Deletion deletion,
            BiConsumer<String, HeldLease> forget) {
        this.timer = timer;
        this.current = current;
        this.deletion = deletion;
        this.forget = forget;
    }

    /**
     * Books the end of a lease this backend just acquired or learnt of, unless it is booked already.
     *
     * @param resourceId the resource
     * @param lease the lease
     */
    void track(String resourceId, HeldLease lease) {
        book(resourceId, lease.keyPath(), lease.expiryNanos() - System.nanoTime());
    }

    /**
     * Cancels the booking of an acquisition that is over (released, lost, taken).
     *
     * @param keyPath the acquisition's key node
     */
    void untrack(String keyPath) {
        ScheduledFuture<?> booking = bookings.remove(keyPath);
        if (booking != null) {
            booking.cancel(false);
        }
    }

    /** Cancels every booking: the session, and with it every lock node, is gone. */
    void clear() {
        bookings.values().forEach(booking -> booking.cancel(false));
        bookings.clear();
    }

    /**
     * How many leases are booked, for tests.
     *
     * @return the count
     */
    int size() {
        return bookings.size();
    }

    private void book(String resourceId, String keyPath, long delayNanos) {
        // A booking whose timer is closed is not stored: nothing is left to reap then.
        bookings.computeIfAbsent(keyPath, key -> timer.schedule(() -> due(resourceId, key), Math.max(0, delayNanos)));
    }

    private void due(String resourceId, String keyPath) {
        bookings.remove(keyPath);
        HeldLease lease = current.apply(resourceId);
        if (lease == null || !lease.keyPath().equals(keyPath)) {
            return; // released, lost or replaced meanwhile
        }
        long now = System.nanoTime();
        if (!lease.over(now)) {
            book(resourceId, keyPath, lease.expiryNanos() - now); // renewed meanwhile
            return;
        }
        deletion.send(resourceId, lease, code -> deleted(resourceId, lease, code));
    }

    private void deleted(String resourceId, HeldLease lease, int resultCode) {
        HeldLease now = current.apply(resourceId);
        if (now == null || !now.keyPath().equals(lease.keyPath())) {
            return;
        }
        if (now != lease) {
            track(resourceId, now); // a renewal sent before the end got there first
        } else if (resultCode == Code.OK.intValue()
                || resultCode == Code.NONODE.intValue()
                || resultCode == Code.BADVERSION.intValue()) {
            // Deleted, or already gone, or renewed through another manager of the same client,
            // which now knows the lease: either way not ours to end any more.
            forget.accept(resourceId, lease);
        } else if (System.nanoTime() - lease.expiryNanos() > GIVE_UP_NANOS) {
            forget.accept(resourceId, lease);
        } else {
            // No connection: try again, not more than a few times per lease.
            book(resourceId, lease.keyPath(), Math.max(RETRY_NANOS, Math.min(lease.leaseMillis(), 60_000L) * 250_000L));
        }
    }
}
