package io.dlm.backend.etcd;

/**
 * An etcd lease of this backend with no key attached, kept for the next acquisition.
 *
 * @param id the lease id
 * @param ttlSeconds the TTL etcd granted (it may exceed the one asked for: a server rounds TTLs
 *     up to its minimum)
 * @param liveUntilNanos by {@link System#nanoTime()}, a time before which the lease cannot have
 *     expired: the send time of the last grant or keep-alive that succeeded, plus the TTL
 */
record IdleLease(long id, long ttlSeconds, long liveUntilNanos) {

    /**
     * The lease as a successful grant or keep-alive sent at {@code sentNanos} left it.
     *
     * @param sentNanos when the request was sent; the leader reset the TTL no earlier
     * @return the lease with its new bound
     */
    IdleLease refreshedAt(long sentNanos) {
        return new IdleLease(id, ttlSeconds, sentNanos + ttlSeconds * EtcdLockBackend.NANOS_PER_SECOND);
    }
}
