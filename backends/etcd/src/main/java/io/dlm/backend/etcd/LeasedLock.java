package io.dlm.backend.etcd;

import static io.dlm.spi.LockBackend.ANY_ACQUISITION;

/**
 * A lock this backend acquired and has not seen end: which lease carries it, which key
 * incarnation it is and which attempt made it. It is a cache, never the truth: every operation
 * checks it against the key in etcd, and drops it when they disagree.
 *
 * <p>The lease is private to this lock: no other key is ever attached to it while the holding
 * lives, so keeping the lease alive is renewing the lock. It goes back to the {@link LeasePool}
 * only after a release through this manager deleted the key, and only by the thread that removed
 * the holding from the map, so a lease is never pooled and revoked, or pooled twice.
 */
final class LeasedLock {

    final long leaseId;
    final long ttlSeconds;
    final long token;

    /** The runtime's attempt id, also in the key's value, so that an undo finds only this lock (X5). */
    final long attempt;

    /** When the last grant or keep-alive that succeeded was sent, by {@link System#nanoTime()}. */
    private volatile long refreshedAtNanos;

    /** When a keep-alive next checks that the key still exists, by {@link System#nanoTime()}. */
    private volatile long keyCheckDueNanos;

    LeasedLock(long leaseId, long ttlSeconds, long token, long attempt, long refreshedAtNanos) {
        this.leaseId = leaseId;
        this.ttlSeconds = ttlSeconds;
        this.token = token;
        this.attempt = attempt;
        this.refreshedAtNanos = refreshedAtNanos;
        this.keyCheckDueNanos = refreshedAtNanos;
    }

    /**
     * Takes the key check of a keep-alive if one is due, and makes the next one due a lease length
     * later: a key deleted while its lease lives is so noticed within about one lease.
     *
     * @param nowNanos the time, by {@link System#nanoTime()}
     * @return whether this keep-alive checks the key
     */
    boolean takeKeyCheck(long nowNanos) {
        if (nowNanos - keyCheckDueNanos < 0) {
            return false;
        }
        // Two renewals racing may both check once: harmless, and cheaper than a compare-and-set.
        keyCheckDueNanos = nowNanos + ttlSeconds * EtcdLockBackend.NANOS_PER_SECOND;
        return true;
    }

    /** A key check proved nothing (a failed read, a member behind): the next keep-alive checks again. */
    void keyCheckInconclusive() {
        keyCheckDueNanos = System.nanoTime();
    }

    void refreshedAt(long sentNanos) {
        // Heartbeats of one lock may race; the bound only ever needs to be a lower one, so the
        // occasional older value that wins is harmless.
        refreshedAtNanos = sentNanos;
    }

    /**
     * A time, by {@link System#nanoTime()}, after which the lease has expired unless a leader
     * change extended it.
     *
     * @return the local estimate of the lease's end
     */
    long liveUntilNanos() {
        return refreshedAtNanos + ttlSeconds * EtcdLockBackend.NANOS_PER_SECOND;
    }

    /**
     * The lease, once its key is deleted, as an idle lease for the pool.
     *
     * @return the idle lease
     */
    IdleLease idle() {
        return new IdleLease(leaseId, ttlSeconds, liveUntilNanos());
    }

    /**
     * Tells whether this is the acquisition a release or renewal names (K4).
     *
     * @param fencingToken the caller's token, or {@link io.dlm.spi.LockBackend#ANY_ACQUISITION}
     * @return whether it names this holding
     */
    boolean isNamedBy(long fencingToken) {
        return names(fencingToken, token);
    }

    /**
     * Tells whether a caller's token names an acquisition (K4).
     *
     * @param fencingToken the caller's token, or {@link io.dlm.spi.LockBackend#ANY_ACQUISITION}
     *     for any of the client's
     * @param token the acquisition's token: its key's create revision
     * @return whether it is named
     */
    static boolean names(long fencingToken, long token) {
        return fencingToken == ANY_ACQUISITION || fencingToken == token;
    }

    /** The map key of a holding: one per resource and client. */
    record Key(String resourceId, String clientId) {}
}
