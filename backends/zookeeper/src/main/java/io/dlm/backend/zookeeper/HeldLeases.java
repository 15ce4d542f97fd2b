package io.dlm.backend.zookeeper;

import io.dlm.spi.LockBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * The leases this backend acquired or renewed, by resource. The engine decides every step; an
 * entry saves the read that would otherwise come first, and carries the lease's end by this
 * process's clock, which the {@link LeaseReaper} acts on: every lease put here is booked with it,
 * and its booking cancelled when the entry is removed. Entries are dropped on release, on any
 * surprise, and in sweeps of leases long over, so that leases nobody released do not pile up.
 */
final class HeldLeases {

    /** Grace before an expired entry is swept, so a late renewal still finds its entry. */
    private static final long SWEEP_GRACE_NANOS = 60_000_000_000L;

    private static final int FIRST_SWEEP_AT = 1024;

    private final ConcurrentHashMap<String, HeldLease> leases = new ConcurrentHashMap<>();
    /** Sweeps run when the map outgrows this; it doubles with the survivors, so sweeps stay rare. */
    private final AtomicInteger sweepAt = new AtomicInteger(FIRST_SWEEP_AT);

    private @Nullable LeaseReaper reaper;

    /**
     * Sets who ends the leases put here when they run out; set once, before the first lease.
     *
     * @param reaper the reaper
     */
    void reapWith(LeaseReaper reaper) {
        this.reaper = reaper;
    }

    @Nullable
    HeldLease get(String resourceId) {
        return leases.get(resourceId);
    }

    /**
     * The lease this backend knows for {@code clientId}, if it is the one meant by {@code
     * fencingToken} (any, for {@link LockBackend#ANY_ACQUISITION}) and not over by this process's
     * clock. An entry that looks over may be older than the node (renewals that overlapped leave
     * such entries behind, and the node then shows a later version), so for it, as for a lease not
     * known here, the caller asks the node, which decides.
     */
    @Nullable
    HeldLease knownLive(String resourceId, String clientId, long fencingToken) {
        HeldLease known = get(resourceId);
        return known != null
                        && known.clientId().equals(clientId)
                        && (fencingToken == LockBackend.ANY_ACQUISITION || known.token() == fencingToken)
                        && !known.over(System.nanoTime())
                ? known
                : null;
    }

    void put(String resourceId, HeldLease lease) {
        booked(resourceId, leases.put(resourceId, lease), lease);
    }

    /** What follows storing {@code lease} in place of {@code before}: the reaper's books, a sweep. */
    private void booked(String resourceId, @Nullable HeldLease before, HeldLease lease) {
        if (before != null && !before.keyPath().equals(lease.keyPath())) {
            untrack(before);
        }
        if (reaper != null) {
            reaper.track(resourceId, lease);
        }
        if (leases.size() > sweepAt.get()) {
            sweep(System.nanoTime());
        }
    }

    /**
     * Puts a lease learnt from a read and renewed, unless a later renewal of the same acquisition is
     * known already: renewals that overlap may answer out of order, and an older entry would make
     * the lease look over too early.
     */
    void putUnlessNewer(String resourceId, HeldLease lease) {
        // Decided and stored in one step: a second put after the decision could overwrite a newer
        // renewal stored in between with this older one.
        HeldLease[] replaced = new HeldLease[1];
        HeldLease after = leases.compute(resourceId, (id, known) -> {
            if (known != null && known.keyPath().equals(lease.keyPath()) && known.version() >= lease.version()) {
                return known;
            }
            replaced[0] = known;
            return lease;
        });
        if (after == lease) {
            booked(resourceId, replaced[0], lease);
        }
    }

    /** A renewal: the booking of the acquisition stays, and books itself again for the new end. */
    void replace(String resourceId, HeldLease old, HeldLease renewed) {
        leases.replace(resourceId, old, renewed);
    }

    void remove(String resourceId, HeldLease lease) {
        if (leases.remove(resourceId, lease)) {
            untrack(lease);
        }
    }

    /** Forgets the lease of {@code resourceId} if it is the acquisition of the key node {@code key}. */
    void forget(String resourceId, String key) {
        HeldLease known = get(resourceId);
        if (known != null && known.keyPath().equals(key)) {
            remove(resourceId, known);
        }
    }

    /** Forgets every lease: the session that held them is gone. */
    void clear() {
        leases.clear();
        if (reaper != null) {
            reaper.clear();
        }
    }

    int size() {
        return leases.size();
    }

    private void untrack(HeldLease lease) {
        if (reaper != null) {
            reaper.untrack(lease.keyPath());
        }
    }

    private void sweep(long nowNanos) {
        List<Map.Entry<String, HeldLease>> stale = new ArrayList<>();
        leases.entrySet().forEach(entry -> {
            if (nowNanos - entry.getValue().expiryNanos() > SWEEP_GRACE_NANOS) {
                stale.add(Map.entry(entry.getKey(), entry.getValue()));
            }
        });
        stale.forEach(entry -> remove(entry.getKey(), entry.getValue()));
        sweepAt.set(Math.max(FIRST_SWEEP_AT, leases.size() * 2));
    }
}
