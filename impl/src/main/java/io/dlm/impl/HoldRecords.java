package io.dlm.impl;

import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The acquisitions a manager holds, with when each was granted and when it ends unless renewed,
 * kept only while something observes them (O1, O3): they give a release its hold time and the
 * {@code dlm.lock.held} count its value. One record per resource, since a manager holds a
 * resource once at most; a newer grant replaces a record whose lease ran out unseen.
 */
final class HoldRecords {

    /** One held acquisition. */
    static final class Hold {
        final String clientId;
        final long fencingToken;
        final long grantedAt;
        final long leaseNanos;
        volatile long deadline;
        /** Begun at the grant when a recording wanted it, committed at the end (O3). */
        final @Nullable LockHeldEvent event;

        Hold(String clientId, long fencingToken, long grantedAt, long leaseNanos, @Nullable LockHeldEvent event) {
            this.clientId = clientId;
            this.fencingToken = fencingToken;
            this.grantedAt = grantedAt;
            this.leaseNanos = leaseNanos;
            this.deadline = saturatedAdd(grantedAt, leaseNanos);
            this.event = event;
        }

        boolean matches(String clientId, long fencingToken) {
            return this.clientId.equals(clientId)
                    && (fencingToken == io.dlm.spi.LockBackend.ANY_ACQUISITION || this.fencingToken == fencingToken);
        }
    }

    private final ConcurrentHashMap<String, Hold> holds = new ConcurrentHashMap<>();
    /** Above this size a grant first drops the records whose leases ran out unseen. */
    private volatile int sweepAbove = 1024;

    void granted(String resourceId, Hold hold, long now) {
        if (holds.size() > sweepAbove) {
            sweep(now);
            sweepAbove = Math.max(1024, holds.size() * 2);
        }
        holds.put(resourceId, hold);
    }

    /** The record of the acquisition a release or a loss ends, removed; {@code null} if none. */
    @Nullable
    Hold end(String resourceId, String clientId, long fencingToken) {
        Hold hold = holds.get(resourceId);
        if (hold == null || !hold.matches(clientId, fencingToken)) {
            return null;
        }
        return holds.remove(resourceId, hold) ? hold : null;
    }

    void renewed(String resourceId, String clientId, long fencingToken, long now) {
        Hold hold = holds.get(resourceId);
        if (hold != null && hold.matches(clientId, fencingToken)) {
            hold.deadline = saturatedAdd(now, hold.leaseNanos);
        }
    }

    /** How many are held now: those whose deadline has not passed; the others are dropped. */
    long heldNow(long now) {
        sweep(now);
        return holds.size();
    }

    private void sweep(long now) {
        holds.values().removeIf(hold -> hold.deadline - now <= 0);
    }

    /** Instants are compared by difference, so "never" is as far ahead as that still works. */
    private static long saturatedAdd(long at, long nanos) {
        return at + Math.min(nanos, Long.MAX_VALUE / 2);
    }
}
