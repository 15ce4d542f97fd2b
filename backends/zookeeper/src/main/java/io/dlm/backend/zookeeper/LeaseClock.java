package io.dlm.backend.zookeeper;

import io.dlm.LockInfo;
import io.dlm.spi.LockBackend;
import java.time.Duration;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

/**
 * Judges the lease a read of a lock node shows by this process's monotonic clock only (E3, N6): a
 * lease of this backend by when it was sent ({@link HeldLeases}), anyone else's by how long the
 * lock node has been seen unchanged ({@link Sightings}). No wall clock, of a client or of a
 * ZooKeeper server, takes part. Acquire, release, renewal, inspect and the listing all ask it.
 */
final class LeaseClock {

    private final HeldLeases held;
    private final Sightings sightings;

    /**
     * @param held the leases this backend acquired or renewed
     * @param sightings what this process has seen of others' lock nodes
     */
    LeaseClock(HeldLeases held, Sightings sightings) {
        this.held = held;
        this.sightings = sightings;
    }

    /**
     * How long the lease a read of the lock node shows may still run, by this process's monotonic
     * clock (E3, N6): for a lease of this backend, until its own end; for anyone else's, until the
     * node has been seen unchanged for a whole lease ({@link Sightings}).
     *
     * @return nanoseconds, {@code 0} once the lease has certainly ended
     */
    long remainingNanos(String resourceId, String lock, LockRecord record, Stat stat, long receivedNanos) {
        long now = System.nanoTime();
        HeldLease own = held.get(resourceId);
        if (own != null
                && own.token() == stat.getCzxid()
                && own.version() == stat.getVersion()
                && own.keyPath().equals(NodePaths.keyPath(lock, record.nonce()))) {
            return own.over(now) ? 0 : own.expiryNanos() - now;
        }
        return sightings.remainingNanos(
                lock, stat.getCzxid(), stat.getMzxid(), record.leaseMillis(), receivedNanos, now);
    }

    /**
     * The lease that a read of the lock node shows, if it is {@code clientId}'s acquisition meant
     * by {@code fencingToken} (K4: the token is the lock node's {@code czxid}).
     *
     * @return the lease, or {@code null} when another client or another acquisition holds it; its
     *     end is this process's best knowledge ({@link #remainingNanos})
     * @throws IllegalStateException if the node holds data DLM did not write
     */
    @Nullable
    HeldLease leaseRead(
            String resourceId, String lock, String clientId, long fencingToken, CuratorEvent read, long receivedNanos) {
        LockRecord current = LockRecord.decode(lock, read.getData());
        Stat stat = read.getStat();
        if (!current.clientId().equals(clientId)
                || (fencingToken != LockBackend.ANY_ACQUISITION && stat.getCzxid() != fencingToken)) {
            return null;
        }
        long remaining = remainingNanos(resourceId, lock, current, stat, receivedNanos);
        return new HeldLease(
                clientId,
                read.getData(),
                NodePaths.keyPath(lock, current.nonce()),
                stat.getVersion(),
                current.leaseMillis(),
                stat.getCzxid(),
                System.nanoTime() + remaining);
    }

    /**
     * Describes the lease a read of a lock node shows (I1): holder, token and what is left of it,
     * at most the lease.
     *
     * @return the lease, or {@code null} once it is over by this process's judgement
     */
    @Nullable
    LockInfo describe(String resourceId, String lock, LockRecord record, Stat stat, long receivedNanos) {
        long remaining = Math.min(
                remainingNanos(resourceId, lock, record, stat, receivedNanos),
                Duration.ofMillis(record.leaseMillis()).toNanos());
        return remaining <= 0
                ? null
                : new LockInfo(resourceId, record.clientId(), stat.getCzxid(), Duration.ofNanos(remaining));
    }
}
