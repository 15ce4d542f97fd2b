package io.dlm.impl;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
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
        /** Set when a release or a loss reported this hold, so that it is reported once. */
        volatile int ended;
        /** A hold event begun at the grant when a recording wanted it, committed at the end (O3). */
        final @Nullable Object event;

        Hold(String clientId, long fencingToken, long grantedAt, long leaseNanos, @Nullable Object event) {
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

    private static final AtomicIntegerFieldUpdater<Hold> ENDED =
            AtomicIntegerFieldUpdater.newUpdater(Hold.class, "ended");

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

    /** The record of the acquisition a release or a loss would end; {@code null} if none. */
    @Nullable
    Hold find(String resourceId, String clientId, long fencingToken) {
        Hold hold = holds.get(resourceId);
        return hold != null && hold.matches(clientId, fencingToken) ? hold : null;
    }

    /**
     * Ends a record found before the engine was asked: removed unless a newer grant replaced it
     * meanwhile, and reported either way, so that a release racing the next grant is still seen.
     *
     * @return whether this call ended it (not an earlier one)
     */
    boolean end(String resourceId, Hold hold) {
        boolean first = ENDED.compareAndSet(hold, 0, 1);
        holds.remove(resourceId, hold);
        return first;
    }

    /** Forgets every record: the manager closed. */
    void clear() {
        holds.clear();
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
