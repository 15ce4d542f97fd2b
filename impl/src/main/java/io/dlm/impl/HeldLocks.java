package io.dlm.impl;

import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The acquisitions a manager made on a remote engine and has not released, so that {@code close()}
 * can release them (C1) once, here, for every backend.
 *
 * <p>Keyed by resource: a resource has one live holder at a time, so a newer acquisition through
 * this manager replaces the record of an older one, which must have ended. Records of leases that
 * expired without an unlock are dropped whenever the map has doubled since the last sweep, so the
 * map stays in proportion to the locks really held (E4's spirit) at an amortised constant cost.
 */
final class HeldLocks {

    /** One acquisition; {@code until} is an upper bound of its lease on the engine. */
    private record Held(String clientId, long fencingToken, long leaseNanos, long until) {}

    private static final int MIN_SWEEP_SIZE = 1024;

    private final ConcurrentHashMap<String, Held> held = new ConcurrentHashMap<>();
    private final Ticker ticker;
    private final AtomicInteger sweepAt = new AtomicInteger(MIN_SWEEP_SIZE);

    HeldLocks(Ticker ticker) {
        this.ticker = ticker;
    }

    void acquired(String resourceId, String clientId, long fencingToken, long leaseNanos) {
        held.put(resourceId, new Held(clientId, fencingToken, leaseNanos, ticker.nanoTime() + leaseNanos));
        int size = held.size();
        int threshold = sweepAt.get();
        if (size >= threshold && sweepAt.compareAndSet(threshold, Integer.MAX_VALUE)) {
            sweepExpired();
            sweepAt.set(Math.max(MIN_SWEEP_SIZE, held.size() * 2));
        }
    }

    /** A release by resource and client ({@code unlock}) or by token ({@code Lease.release}) ended it. */
    void released(String resourceId, String clientId, long fencingToken) {
        held.computeIfPresent(
                resourceId,
                (resource, current) -> current.clientId().equals(clientId)
                                && (fencingToken == LockBackend.ANY_ACQUISITION
                                        || current.fencingToken() == fencingToken)
                        ? null
                        : current);
    }

    /** A renewal of it was confirmed: its lease now lasts until at most now plus its length. */
    void renewed(String resourceId, String clientId, long fencingToken) {
        held.computeIfPresent(
                resourceId,
                (resource, current) -> current.clientId().equals(clientId)
                                && (fencingToken == LockBackend.ANY_ACQUISITION
                                        || current.fencingToken() == fencingToken)
                        ? new Held(
                                clientId,
                                current.fencingToken(),
                                current.leaseNanos(),
                                ticker.nanoTime() + current.leaseNanos())
                        : current);
    }

    private void sweepExpired() {
        long now = ticker.nanoTime();
        held.entrySet().removeIf(entry -> now - entry.getValue().until() >= 0);
    }

    /**
     * Releases every recorded lock that may still be live, by its token, until the budget runs
     * out; the rest expire by their leases (C1).
     *
     * @param backend the backend to release through
     * @param budgetNanos how long all releases together may take
     */
    void releaseAll(LockBackend backend, long budgetNanos) {
        long start = ticker.nanoTime();
        for (Map.Entry<String, Held> entry : held.entrySet()) {
            long now = ticker.nanoTime();
            if (now - start >= budgetNanos) {
                break;
            }
            Held lock = entry.getValue();
            if (now - lock.until() >= 0) {
                continue; // ended by now; another holder may have it, and a release would be refused anyway
            }
            try {
                backend.release(entry.getKey(), lock.clientId(), lock.fencingToken());
            } catch (RuntimeException e) {
                // Best effort: the lease ends by itself.
            }
        }
        held.clear();
    }
}
