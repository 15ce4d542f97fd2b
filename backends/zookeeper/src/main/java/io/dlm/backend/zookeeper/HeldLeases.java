package io.dlm.backend.zookeeper;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The leases this backend acquired or renewed, by resource: a cache, never the truth. The engine
 * decides every step; an entry only saves the read that would otherwise come first. Entries are
 * dropped on release, on any surprise, and in sweeps of leases long over, so that leases nobody
 * released do not pile up.
 */
final class HeldLeases {

    /** Grace before an expired entry is swept, so a late renewal still finds its entry. */
    private static final long SWEEP_GRACE_NANOS = 60_000_000_000L;

    private static final int FIRST_SWEEP_AT = 1024;

    private final ConcurrentHashMap<String, HeldLease> leases = new ConcurrentHashMap<>();
    /** Sweeps run when the map outgrows this; it doubles with the survivors, so sweeps stay rare. */
    private final AtomicInteger sweepAt = new AtomicInteger(FIRST_SWEEP_AT);

    @Nullable
    HeldLease get(String resourceId) {
        return leases.get(resourceId);
    }

    void put(String resourceId, HeldLease lease) {
        leases.put(resourceId, lease);
        if (leases.size() > sweepAt.get()) {
            sweep(System.nanoTime());
        }
    }

    void replace(String resourceId, HeldLease old, HeldLease renewed) {
        leases.replace(resourceId, old, renewed);
    }

    void remove(String resourceId, HeldLease lease) {
        leases.remove(resourceId, lease);
    }

    /** Forgets every lease: the session that held them is gone. */
    void clear() {
        leases.clear();
    }

    int size() {
        return leases.size();
    }

    private void sweep(long nowNanos) {
        leases.values().removeIf(lease -> nowNanos - lease.localExpiryNanos() > SWEEP_GRACE_NANOS);
        sweepAt.set(Math.max(FIRST_SWEEP_AT, leases.size() * 2));
    }
}
