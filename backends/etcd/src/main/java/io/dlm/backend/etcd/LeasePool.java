package io.dlm.backend.etcd;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Idle leases of this backend, by requested TTL, ready to carry the next lock.
 *
 * <p>This is what makes an uncontended acquire one round trip: the lease already exists, so the
 * acquiring transaction can attach the key to it at once while a keep-alive, sent alongside,
 * resets its TTL. A lease is handed out only while it has at least half its TTL left by a
 * conservative local estimate, so that it outlives the transaction; the keep-alive's answer then
 * says for sure. Leases that are too old or beyond capacity are revoked, not kept.
 */
final class LeasePool {

    private final ConcurrentHashMap<Long, ConcurrentLinkedDeque<IdleLease>> byTtl = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private final LongConsumer revoker;

    /**
     * Creates an empty pool.
     *
     * @param capacity how many idle leases to keep at most, all TTLs together
     * @param revoker revokes a lease the pool lets go, without waiting
     */
    LeasePool(int capacity, LongConsumer revoker) {
        this.capacity = capacity;
        this.revoker = revoker;
    }

    /**
     * Takes the freshest idle lease of a TTL that is sure to live a while yet.
     *
     * @param ttlSeconds the requested TTL
     * @param nowNanos the current {@link System#nanoTime()}
     * @return a lease, now owned by the caller, or {@code null} if there is none fit for use
     */
    @Nullable
    IdleLease take(long ttlSeconds, long nowNanos) {
        ConcurrentLinkedDeque<IdleLease> idle = byTtl.get(ttlSeconds);
        if (idle == null) {
            return null;
        }
        IdleLease lease;
        while ((lease = idle.pollLast()) != null) {
            size.decrementAndGet();
            if (fresh(lease, nowNanos)) {
                return lease;
            }
            revoker.accept(lease.id());
        }
        return null;
    }

    /**
     * Gives back a lease whose key was deleted, or that carried no key.
     *
     * @param requestedTtl the TTL it was taken or granted for
     * @param lease the lease, which the caller no longer uses
     * @param nowNanos the current {@link System#nanoTime()}
     */
    void offer(long requestedTtl, IdleLease lease, long nowNanos) {
        ConcurrentLinkedDeque<IdleLease> idle =
                byTtl.computeIfAbsent(requestedTtl, ttl -> new ConcurrentLinkedDeque<>());
        // The oldest sit at the head; drop those that went stale while fresher ones were used.
        IdleLease oldest;
        while ((oldest = idle.peekFirst()) != null && !fresh(oldest, nowNanos)) {
            if (idle.remove(oldest)) {
                size.decrementAndGet();
                revoker.accept(oldest.id());
            }
        }
        if (!fresh(lease, nowNanos)) {
            revoker.accept(lease.id());
            return;
        }
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            revoker.accept(lease.id());
            return;
        }
        idle.addLast(lease);
    }

    /**
     * Empties the pool, for closing.
     *
     * @return the ids of every idle lease it held
     */
    List<Long> drain() {
        List<Long> ids = new ArrayList<>();
        for (ConcurrentLinkedDeque<IdleLease> idle : byTtl.values()) {
            IdleLease lease;
            while ((lease = idle.pollFirst()) != null) {
                size.decrementAndGet();
                ids.add(lease.id());
            }
        }
        return ids;
    }

    /**
     * How many idle leases the pool holds, for tests.
     *
     * @return the count
     */
    int size() {
        return size.get();
    }

    private static boolean fresh(IdleLease lease, long nowNanos) {
        long halfTtl = lease.ttlSeconds() * EtcdLockBackend.NANOS_PER_SECOND / 2;
        return lease.liveUntilNanos() - nowNanos >= halfTtl;
    }
}
