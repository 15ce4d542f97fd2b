package io.dlm.backend.zookeeper;

/**
 * What this backend knows of a lease it acquired or renewed: enough to renew or release it in one
 * round trip (H3), each step guarded by the acquisition's key node and the lock node's version.
 *
 * @param clientId the holder
 * @param data the lock node's data, written back unchanged on renewal
 * @param keyPath the acquisition's key node
 * @param version the lock node's data version after our last write
 * @param leaseMillis the lease length
 * @param deadlineMillis when the lease ends, by the leader's clock
 * @param token the fencing token (the lock node's czxid)
 * @param localExpiryNanos when the lease ends by this process's monotonic clock, roughly; only
 *     used to forget leases nobody released
 */
record HeldLease(
        String clientId,
        byte[] data,
        String keyPath,
        int version,
        long leaseMillis,
        long deadlineMillis,
        long token,
        long localExpiryNanos) {

    /**
     * The lease's end for a lock node written at {@code mtime}. One millisecond is added because
     * the leader truncates its clock to whole milliseconds when it stamps the write.
     *
     * @param mtimeMillis the write's stamp
     * @param leaseMillis the lease length
     * @return the first leader time at which the lease is over
     */
    static long deadline(long mtimeMillis, long leaseMillis) {
        long end = mtimeMillis + leaseMillis + 1;
        return end < mtimeMillis ? Long.MAX_VALUE : end;
    }

    /**
     * The same lease after a renewal.
     *
     * @param newVersion the lock node's version after the renewal
     * @param mtimeMillis the renewal's stamp
     * @param receivedNanos when its reply came back
     * @return the renewed lease
     */
    HeldLease renewed(int newVersion, long mtimeMillis, long receivedNanos) {
        return new HeldLease(
                clientId,
                data,
                keyPath,
                newVersion,
                leaseMillis,
                deadline(mtimeMillis, leaseMillis),
                token,
                localExpiry(receivedNanos, leaseMillis));
    }

    /**
     * When a lease written now ends by the local monotonic clock, saturating.
     *
     * @param receivedNanos when the write's reply came back
     * @param leaseMillis the lease length
     * @return a {@link System#nanoTime()} value
     */
    static long localExpiry(long receivedNanos, long leaseMillis) {
        long leaseNanos = leaseMillis >= Long.MAX_VALUE / 2_000_000L ? Long.MAX_VALUE / 2 : leaseMillis * 1_000_000L;
        return receivedNanos + leaseNanos;
    }
}
