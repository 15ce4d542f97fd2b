package io.dlm.spi;

import java.util.List;

/**
 * A blocking backend that can renew many leases in one engine round trip (K1, N7): a database that
 * takes a batch of statements at once. The runtime keeps leases of such a backend alive by queueing
 * their renewals and sending them in batches from its {@code dlm.heartbeat.threads} pool, so a pool
 * of a few dozen threads keeps thousands of leases alive on an engine that answers in 100 ms,
 * where one renewal per thread and round trip would not (N7).
 *
 * <p>Each item has exactly the meaning of a single {@link #renew(String, String, long)}: it extends
 * only a live lease of that client with that fencing token (H1, K4) and never revives an expired
 * one (H2). The items are independent: one refused item does not affect the others.
 */
public interface BatchRenewingLockBackend extends LockBackend {

    /**
     * Renews every item as {@link #renew(String, String, long)} would, in one engine round trip if
     * the engine allows it, within {@link BackendContext#operationTimeout()} for the whole call.
     *
     * <p>The runtime sends at most a few hundred items at once and never the same acquisition
     * twice in one call; the order of the items carries no meaning.
     *
     * @param renewals the leases to renew, not empty
     * @return one answer per item, in the order of {@code renewals}: {@code true} when that live
     *     lease was extended, {@code false} when the engine refused (not held, expired, another
     *     client's or another acquisition's)
     * @throws RuntimeException when the call as a whole failed or timed out (ideally a {@link
     *     io.dlm.LockException} with {@code INTERNAL_ERROR}); the runtime then counts every item as
     *     a failed renewal, as it would a single {@code renew} that threw, and tries again until the
     *     lease's local deadline (K3)
     */
    boolean[] renewAll(List<Renewal> renewals);

    /**
     * How many batches the backend can run at once, e.g. the connections of its pool it can spare
     * for renewals. The runtime sends no more at once (and never more than {@code
     * dlm.heartbeat.threads}): a batch is formed when a drainer is free to send it, so with fewer
     * senders than the pool, renewals gather into large batches instead of many small ones that
     * wait for a connection while their leases' deadlines run (N7).
     *
     * @return at least 1; by default no limit but {@code dlm.heartbeat.threads}
     */
    default int maxConcurrentBatches() {
        return Integer.MAX_VALUE;
    }
}
