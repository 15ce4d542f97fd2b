package io.dlm.backend.redis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The leases acquired through one backend instance and not yet released, so that {@code close}
 * can release them (C1). Only a local record: Redis decides who holds what, and releasing an entry
 * that is stale is harmless because the release script compares the owner (U2).
 *
 * <p>A lease that is never released (its holder walks away and lets it expire) would stay here
 * forever, so entries carry a local deadline, pushed on by renewals, and are swept once the map
 * has doubled since the last sweep: amortised constant work per acquisition, no thread.
 */
final class HeldLeases {

    private static final int MIN_SWEEP_SIZE = 1024;

    private final ConcurrentHashMap<String, Held> byResource = new ConcurrentHashMap<>();
    private final AtomicInteger sweepAtSize = new AtomicInteger(MIN_SWEEP_SIZE);
    private final long graceNanos;

    /**
     * Creates an empty record.
     *
     * @param graceNanos how long past its local deadline an entry is kept: a call may reach Redis
     *     up to the operation timeout after it started, and the lease runs from then
     */
    HeldLeases(long graceNanos) {
        this.graceNanos = graceNanos;
    }

    /**
     * Records an acquisition.
     *
     * @param resourceId the resource
     * @param clientId the new holder
     * @param leaseNanos the lease length
     * @param startNanos {@link System#nanoTime()} when the acquisition was sent
     */
    void acquired(String resourceId, String clientId, long leaseNanos, long startNanos) {
        byResource.put(resourceId, new Held(clientId, leaseNanos, startNanos));
        int size = byResource.size();
        int sweepAt = sweepAtSize.get();
        if (size >= sweepAt && sweepAtSize.compareAndSet(sweepAt, Integer.MAX_VALUE)) {
            sweep();
        }
    }

    /**
     * Records a successful renewal.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param startNanos {@link System#nanoTime()} when the renewal was sent
     */
    void renewed(String resourceId, String clientId, long startNanos) {
        Held held = byResource.get(resourceId);
        if (held != null && held.clientId.equals(clientId)) {
            held.startNanos = startNanos;
        }
    }

    /**
     * Forgets a lease that was released or found lost.
     *
     * @param resourceId the resource
     * @param clientId the former holder
     */
    void ended(String resourceId, String clientId) {
        Held held = byResource.get(resourceId);
        if (held != null && held.clientId.equals(clientId)) {
            byResource.remove(resourceId, held);
        }
    }

    /**
     * The leases that may still be live, for {@code close}.
     *
     * @return resource id to client id
     */
    Map<String, String> live() {
        long now = System.nanoTime();
        Map<String, String> live = new LinkedHashMap<>();
        byResource.forEach((resourceId, held) -> {
            if (!held.isOver(now)) {
                live.put(resourceId, held.clientId);
            }
        });
        return live;
    }

    /**
     * Counts the entries, swept or not, for tests.
     *
     * @return the number of entries
     */
    int size() {
        return byResource.size();
    }

    private void sweep() {
        long now = System.nanoTime();
        byResource.forEach((resourceId, held) -> {
            if (held.isOver(now)) {
                byResource.remove(resourceId, held);
            }
        });
        sweepAtSize.set(Math.max(MIN_SWEEP_SIZE, 2 * byResource.size()));
    }

    /** One lease: who holds it, and since when it runs for how long at most, as seen here. */
    private final class Held {
        final String clientId;
        /** The lease plus the grace, saturated: a lease of centuries must not wrap around. */
        final long keepNanos;

        volatile long startNanos;

        Held(String clientId, long leaseNanos, long startNanos) {
            this.clientId = clientId;
            long keep = leaseNanos + graceNanos;
            this.keepNanos = keep < 0 ? Long.MAX_VALUE : keep;
            this.startNanos = startNanos;
        }

        /** Compares elapsed spans, never instants, so a wrapping {@code nanoTime} does no harm. */
        boolean isOver(long nowNanos) {
            return nowNanos - startNanos >= keepNanos;
        }
    }
}
