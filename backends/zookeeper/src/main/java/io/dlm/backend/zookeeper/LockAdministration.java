package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import java.util.Optional;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

/**
 * Looks at and breaks one lock, whoever holds it: {@code inspect} reads its lock node (I1), and the
 * operators' forced release (O4) deletes the lock and key node of whatever acquisition holds it, at
 * the version read, as a release by its holder would. Listing many locks is {@link LockListing}'s.
 */
final class LockAdministration {

    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final LockNodeSteps steps;
    private final HeldLeases held;
    private final Sightings sightings;
    private final LeaseClock leaseClock;

    /**
     * @param paths the backend's base path
     * @param calls gives each call its deadline
     * @param steps the requests
     * @param held the leases this backend acquired or renewed, forgotten when broken
     * @param sightings what this process has seen of others' lock nodes, forgotten when broken
     * @param leaseClock describes the lease a read shows
     */
    LockAdministration(
            NodePaths paths,
            ZooKeeperCalls calls,
            LockNodeSteps steps,
            HeldLeases held,
            Sightings sightings,
            LeaseClock leaseClock) {
        this.paths = paths;
        this.calls = calls;
        this.steps = steps;
        this.held = held;
        this.sightings = sightings;
        this.leaseClock = leaseClock;
    }

    /** {@link ZooKeeperLockBackend#inspect}, once the backend is known open. */
    Optional<LockInfo> inspect(String resourceId) {
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        ZooKeeperCalls.Reply read = steps.read(lock, deadline, false);
        if (!read.ok()) {
            return Optional.empty();
        }
        LockRecord current = LockRecord.decode(lock, read.event().getData());
        return Optional.ofNullable(
                leaseClock.describe(resourceId, lock, current, read.event().getStat(), read.receivedNanos()));
    }

    /** {@link ZooKeeperLockBackend#forceRelease}, once the backend is known open. */
    Optional<LockInfo> forceRelease(String resourceId) {
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        // The lock node seen when the key node was found missing, to tell a lock that changed
        // from one whose key node was deleted by hand (which no step of DLM can ever remove).
        @Nullable Stat withoutKey = null;
        for (; ; ) {
            ZooKeeperCalls.Reply read = steps.read(lock, deadline, false);
            if (!read.ok()) {
                return Optional.empty();
            }
            LockRecord current = LockRecord.decode(lock, read.event().getData());
            Stat stat = read.event().getStat();
            if (withoutKey != null
                    && withoutKey.getCzxid() == stat.getCzxid()
                    && withoutKey.getMzxid() == stat.getMzxid()) {
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "cannot force the release of " + ZooKeeperCalls.shorten(lock)
                                + ": its key node was deleted by hand, so it can only be deleted by hand too (or"
                                + " freed when its holder's session ends)");
            }
            LockInfo broken = leaseClock.describe(resourceId, lock, current, stat, read.receivedNanos());
            String key = NodePaths.keyPath(lock, current.nonce());
            ZooKeeperCalls.Reply deleted = steps.releaseAt(lock, key, stat.getVersion(), deadline);
            if (deleted.ok()) {
                // Also when this backend held the lease itself: its reaper has nothing left to end.
                held.forget(resourceId, key);
                sightings.forget(lock);
                return Optional.ofNullable(broken);
            }
            int failed = LockNodeSteps.failedOp(deleted);
            if (deleted.maybeAppliedBefore() && failed == 0) {
                // The key node is gone, maybe by the attempt whose reply was lost. Not retried:
                // the lock may belong to a new holder by now, whom a retry would break. (A
                // failure at the version alone proves that the lost attempt deleted nothing.)
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "forced release of " + ZooKeeperCalls.shorten(lock)
                                + ": the connection was lost after the request may have reached ZooKeeper, so whether"
                                + " it took effect is unknown; inspect the resource before trying again");
            }
            // The reply of a failed transaction comes after ZooKeeper applied it, so the next read
            // shows the lock at least as it was then: if it is unchanged, the key node is missing.
            withoutKey = failed == 0 ? stat : null;
            if (System.nanoTime() - deadline >= 0) {
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "forced release of " + ZooKeeperCalls.shorten(lock)
                                + " gave up: the lock changed hands or was renewed on every try within"
                                + " dlm.operation.timeout");
            }
        }
    }
}
