package io.dlm.backend.zookeeper;

/**
 * What this backend knows of a lease it acquired or renewed: enough to renew or release it in one
 * round trip (H3), each step guarded by the acquisition's key node and the lock node's version,
 * and when the lease ends by this process's monotonic clock (E3, N6).
 *
 * @param clientId the holder
 * @param data the lock node's data, written back unchanged on renewal
 * @param keyPath the acquisition's key node
 * @param version the lock node's data version after our last write
 * @param leaseMillis the lease length
 * @param token the fencing token (the lock node's czxid)
 * @param expiryNanos when the lease ends, by {@link System#nanoTime()}: the lease length after the
 *     acquisition or the last confirmed renewal was sent. The runtime counts its deadline (K2) from
 *     an instant no later than that send, less the drift margin, so it has given the lease up by then
 */
record HeldLease(
        String clientId, byte[] data, String keyPath, int version, long leaseMillis, long token, long expiryNanos) {

    /**
     * The same lease after a renewal.
     *
     * @param newVersion the lock node's version after the renewal
     * @param sentNanos when the renewal was sent
     * @return the renewed lease
     */
    HeldLease renewed(int newVersion, long sentNanos) {
        return new HeldLease(clientId, data, keyPath, newVersion, leaseMillis, token, expiry(sentNanos, leaseMillis));
    }

    /**
     * Whether the lease has ended by this process's clock.
     *
     * @param nowNanos {@link System#nanoTime()}
     * @return {@code true} from {@link #expiryNanos()} on
     */
    boolean over(long nowNanos) {
        return nowNanos - expiryNanos >= 0;
    }

    /**
     * When a lease written by a request sent at {@code sentNanos} ends, saturating.
     *
     * @param sentNanos when the acquisition or renewal was sent
     * @param leaseMillis the lease length
     * @return a {@link System#nanoTime()} value
     */
    static long expiry(long sentNanos, long leaseMillis) {
        long leaseNanos = leaseMillis >= Long.MAX_VALUE / 2_000_000L ? Long.MAX_VALUE / 2 : leaseMillis * 1_000_000L;
        return sentNanos + leaseNanos;
    }
}
