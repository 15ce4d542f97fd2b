package io.dlm.backend.redis;

import io.dlm.spi.LockBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The leases acquired through one backend instance and not yet released, so that {@code close}
 * can release them (C1). Only a local record: Redis decides who holds what, and acting on an entry
 * that is stale is harmless because {@code close} releases by fencing token and undoes by attempt
 * id, which no later acquisition shares (U2, K4, X5).
 *
 * <p>Two kinds of entry. A <em>held</em> lease is one whose acquisition Redis confirmed; there is
 * at most one per resource, as on Redis. An <em>unsettled</em> attempt is an acquisition whose
 * outcome is unknown (no reply in time) and whose undo was not confirmed either: Redis may apply it
 * late, so {@code close} undoes it again, by its attempt id. Unsettled attempts are keyed by
 * attempt, so one never hides a lease that the same or another client holds on the same resource.
 *
 * <p>A lease that is never released (its holder walks away and lets it expire) would stay here
 * forever, so entries carry a local deadline, pushed on by renewals, and are swept once the record
 * has doubled since the last sweep: amortised constant work per acquisition, no thread.
 */
final class HeldLeases {

    private static final int MIN_SWEEP_SIZE = 1024;

    private final ConcurrentHashMap<String, Held> byResource = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Attempt, Held> unsettled = new ConcurrentHashMap<>();
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
     * Records a confirmed acquisition.
     *
     * @param resourceId the resource
     * @param clientId the new holder
     * @param attempt the runtime's id of the acquisition
     * @param token its fencing token
     * @param leaseNanos the lease length
     * @param startNanos {@link System#nanoTime()} when the acquisition was sent
     */
    void acquired(String resourceId, String clientId, long attempt, long token, long leaseNanos, long startNanos) {
        byResource.put(resourceId, new Held(resourceId, clientId, attempt, token, leaseNanos, startNanos));
        sweepIfGrown();
    }

    /**
     * Records an acquisition whose outcome is unknown: Redis may have applied it, or may yet.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param attempt the runtime's id of the acquisition
     * @param leaseNanos the lease length
     * @param startNanos {@link System#nanoTime()} when the acquisition was sent
     */
    void unsettled(String resourceId, String clientId, long attempt, long leaseNanos, long startNanos) {
        Attempt key = new Attempt(resourceId, clientId, attempt);
        unsettled.put(
                key, new Held(resourceId, clientId, attempt, LockBackend.ANY_ACQUISITION, leaseNanos, startNanos));
        sweepIfGrown();
    }

    /**
     * Before an undo is sent: a lease that this attempt made is no longer held as far as this
     * record knows, only unsettled until Redis confirms the undo.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param attempt the attempt to undo
     */
    void undoing(String resourceId, String clientId, long attempt) {
        Held held = byResource.get(resourceId);
        if (held != null && held.attempt == attempt && held.clientId.equals(clientId)) {
            if (byResource.remove(resourceId, held)) {
                unsettled.put(new Attempt(resourceId, clientId, attempt), held.unsettledCopy());
            }
        }
    }

    /**
     * Forgets an attempt that Redis confirmed undone, or found never applied.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param attempt the attempt
     */
    void undone(String resourceId, String clientId, long attempt) {
        unsettled.remove(new Attempt(resourceId, clientId, attempt));
    }

    /**
     * Records a successful renewal.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param token the acquisition renewed, or {@link LockBackend#ANY_ACQUISITION}
     * @param startNanos {@link System#nanoTime()} when the renewal was sent
     */
    void renewed(String resourceId, String clientId, long token, long startNanos) {
        Held held = byResource.get(resourceId);
        if (held != null && held.matches(clientId, token)) {
            held.startNanos = startNanos;
        }
    }

    /**
     * Forgets a lease that was released or found lost.
     *
     * @param resourceId the resource
     * @param clientId the former holder
     * @param token the acquisition that ended, or {@link LockBackend#ANY_ACQUISITION} for whichever
     *     the client held
     */
    void ended(String resourceId, String clientId, long token) {
        Held held = byResource.get(resourceId);
        if (held != null && held.matches(clientId, token)) {
            byResource.remove(resourceId, held);
        }
    }

    /**
     * The entries that may still be live, for {@code close}: held leases (with their token) and
     * unsettled attempts (with {@link LockBackend#ANY_ACQUISITION} as token), none past its local
     * deadline.
     *
     * @return the entries
     */
    List<Held> live() {
        long now = System.nanoTime();
        List<Held> live = new ArrayList<>();
        byResource.values().forEach(held -> {
            if (!held.isOver(now)) {
                live.add(held);
            }
        });
        unsettled.values().forEach(held -> {
            if (!held.isOver(now)) {
                live.add(held);
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
        return byResource.size() + unsettled.size();
    }

    private void sweepIfGrown() {
        int size = size();
        int sweepAt = sweepAtSize.get();
        if (size >= sweepAt && sweepAtSize.compareAndSet(sweepAt, Integer.MAX_VALUE)) {
            sweep();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        byResource.forEach((resourceId, held) -> {
            if (held.isOver(now)) {
                byResource.remove(resourceId, held);
            }
        });
        unsettled.forEach((attempt, held) -> {
            if (held.isOver(now)) {
                unsettled.remove(attempt, held);
            }
        });
        sweepAtSize.set(Math.max(MIN_SWEEP_SIZE, 2 * size()));
    }

    /** The key of an unsettled attempt. */
    private record Attempt(String resourceId, String clientId, long attempt) {}

    /**
     * One lease or unsettled attempt: whose, which acquisition, and since when it runs for how long
     * at most, as seen here.
     */
    final class Held {
        final String resourceId;
        final String clientId;
        final long attempt;
        /** The fencing token, or {@link LockBackend#ANY_ACQUISITION} for an unsettled attempt. */
        final long token;
        /** The lease plus the grace, saturated: a lease of centuries must not wrap around. */
        final long keepNanos;

        volatile long startNanos;

        Held(String resourceId, String clientId, long attempt, long token, long leaseNanos, long startNanos) {
            this.resourceId = resourceId;
            this.clientId = clientId;
            this.attempt = attempt;
            this.token = token;
            long keep = leaseNanos + graceNanos;
            this.keepNanos = keep < 0 ? Long.MAX_VALUE : keep;
            this.startNanos = startNanos;
        }

        private Held(Held held) {
            this.resourceId = held.resourceId;
            this.clientId = held.clientId;
            this.attempt = held.attempt;
            this.token = LockBackend.ANY_ACQUISITION;
            this.keepNanos = held.keepNanos;
            this.startNanos = held.startNanos;
        }

        /** Whether this entry is an acquisition whose outcome is unknown, to be undone by attempt. */
        boolean isUnsettled() {
            return token == LockBackend.ANY_ACQUISITION;
        }

        Held unsettledCopy() {
            return new Held(this);
        }

        boolean matches(String client, long fencingToken) {
            return clientId.equals(client) && (fencingToken == LockBackend.ANY_ACQUISITION || fencingToken == token);
        }

        /** Compares elapsed spans, never instants, so a wrapping {@code nanoTime} does no harm. */
        boolean isOver(long nowNanos) {
            return nowNanos - startNanos >= keepNanos;
        }
    }
}
