package io.dlm.backend.etcd;

import static io.dlm.backend.etcd.EtcdLockBackend.NANOS_PER_SECOND;

import io.dlm.spi.LeaseLossListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The locks this backend acquired and has not seen end: per resource and client, a {@link
 * LeasedLock} that names its lease, token and attempt. It lets release and renew skip a read;
 * whenever etcd disagrees with it, etcd wins and a client's lock found through another manager
 * (same client id) is handled from the key alone.
 *
 * <p>Whoever removes a holding from here owns its lease: it pools the lease after deleting the key
 * itself, or revokes it; a lease etcd reports gone needs neither. A holding etcd contradicts is a
 * lost lock (K3).
 */
final class Holdings {

    private static final int MIN_SWEEP_THRESHOLD = 4_096;

    /** How long past its local deadline a holding is kept, for leases a leader change extended. */
    private static final long SWEEP_GRACE_NANOS = 10 * NANOS_PER_SECOND;

    private final EtcdCalls etcd;
    private final LeaseLossListener losses;

    private final ConcurrentHashMap<LeasedLock.Key, LeasedLock> holdings = new ConcurrentHashMap<>();

    /** Above this many holdings, an acquisition first drops the expired ones. */
    private volatile int sweepAbove = MIN_SWEEP_THRESHOLD;

    Holdings(EtcdCalls etcd, LeaseLossListener losses) {
        this.etcd = etcd;
        this.losses = losses;
    }

    /** The holding of a resource's lock by a client, if this backend has one. */
    @Nullable
    LeasedLock get(LeasedLock.Key holdingKey) {
        return holdings.get(holdingKey);
    }

    /**
     * Removes a holding if it is still the one given.
     *
     * @return whether this caller removed it, and so owns its lease
     */
    boolean remove(LeasedLock.Key holdingKey, LeasedLock holding) {
        return holdings.remove(holdingKey, holding);
    }

    /** Keeps the holding of an acquisition that succeeded. */
    void keep(Attempt tried, LeasedLock holding) {
        LeasedLock replaced = holdings.put(new LeasedLock.Key(tried.resourceId(), tried.clientId()), holding);
        if (replaced != null) {
            // A lock of ours that ended unnoticed (expired, or released elsewhere): the key was just
            // created anew, so that incarnation is gone. Its lease is ours to revoke, and a runtime
            // lease that still stands for it is lost (K3).
            etcd.revokeQuietly(replaced.leaseId);
            losses.leaseLost(tried.resourceId(), replaced.token);
        }
        if (holdings.size() > sweepAbove) {
            sweepExpiredHoldings();
        }
    }

    /**
     * Forgets holdings whose lease has surely run out, so that locks left to expire (never released)
     * do not pile up in memory. The threshold doubles with the live count, so the sweeps cost O(1)
     * per acquisition on average. A holding is only a cache: if one is dropped while its lock still
     * lives (a leader change extended the lease), release and renew find the lock from its key.
     */
    private void sweepExpiredHoldings() {
        long now = System.nanoTime();
        holdings.values().removeIf(held -> now - held.liveUntilNanos() > SWEEP_GRACE_NANOS);
        sweepAbove = Math.max(MIN_SWEEP_THRESHOLD, 2 * holdings.size());
    }

    /**
     * Drops a holding that etcd contradicts (its key incarnation is gone); whoever removes it owns
     * its lease and revokes it, and reports the lock lost (K3).
     */
    void forget(String resourceId, LeasedLock.Key holdingKey, LeasedLock holding) {
        if (holdings.remove(holdingKey, holding)) {
            // Reported first: the loss must reach the runtime whatever the revocation does.
            try {
                losses.leaseLost(resourceId, holding.token);
            } finally {
                etcd.revokeQuietly(holding.leaseId);
            }
        }
    }

    /**
     * On close: removes every holding and sends the revocation of its lease, which deletes its
     * key in the same step (C1).
     *
     * @param revocations where the revocations sent are added, for close to wait for
     */
    void revokeAll(List<CompletableFuture<?>> revocations) {
        for (LeasedLock.Key key : List.copyOf(holdings.keySet())) {
            LeasedLock holding = holdings.remove(key);
            if (holding != null) {
                revocations.add(etcd.leases().revoke(holding.leaseId));
            }
        }
    }
}
