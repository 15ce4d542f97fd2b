package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import org.apache.zookeeper.data.Stat;

/**
 * The lock recipe: acquire, release and undo one lock by its lock and key node, as {@link
 * ZooKeeperLockBackend} offers them once it has checked that it is open and its session kept.
 *
 * <ul>
 *   <li>acquire (L1, E2, F1): create lock and key node in one transaction; if the lock node exists
 *       and its lease has ended by this process's monotonic clock ({@link LeaseClock}, E3, N6),
 *       delete it at the version read together with its old key node and create the new pair, in
 *       one transaction; the token is the new lock node's {@code czxid};
 *   <li>release (U1, U2, U4, K4): delete the key node and the lock node at its known version, one
 *       round trip when this backend knows the lease ({@link HeldLeases}), else after a read;
 *   <li>undo (X5): delete the key node of one attempt and its lock node, and nothing else ({@link
 *       Undos}).
 * </ul>
 *
 * <p>The requests themselves are {@link LockNodeSteps}'.
 */
final class LockRecipe {

    /** How often one call looks again at a lock that changed under it before it reports it held. */
    static final int MAX_ROUNDS = 5;

    /** When every round was lost to other clients, the runtime tries again this soon. */
    private static final long LOST_RACE_RETRY_NANOS = 1_000_000L;

    /** A contender looks again at a held lock at least this often per lease, to see renewals early. */
    private static final long LOOKS_PER_LEASE = 4;

    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final LockNodeSteps steps;
    private final HeldLeases held;
    private final Sightings sightings;
    private final Nonces nonces;
    private final Undos undos;
    private final LeaseClock leaseClock;

    /**
     * @param paths the backend's base path
     * @param calls gives each call its deadline
     * @param steps the requests
     * @param held the leases this backend acquired or renewed
     * @param sightings what this process has seen of others' lock nodes
     * @param nonces names key nodes after the runtime's attempt ids
     * @param undos deletes acquisitions nobody will use
     * @param leaseClock judges whether a lease read has ended
     */
    LockRecipe(
            NodePaths paths,
            ZooKeeperCalls calls,
            LockNodeSteps steps,
            HeldLeases held,
            Sightings sightings,
            Nonces nonces,
            Undos undos,
            LeaseClock leaseClock) {
        this.paths = paths;
        this.calls = calls;
        this.steps = steps;
        this.held = held;
        this.sightings = sightings;
        this.nonces = nonces;
        this.undos = undos;
        this.leaseClock = leaseClock;
    }

    /** {@link ZooKeeperLockBackend#acquire}, once the backend is known open and its session kept. */
    Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        long deadline = calls.deadline();
        long leaseMillis = Math.max(1, (leaseNanos + 999_999L) / 1_000_000L);
        String lock = paths.lockPath(resourceId);
        String nonce = nonces.of(attempt);
        String key = NodePaths.keyPath(lock, nonce);
        byte[] data = new LockRecord(clientId, leaseMillis, nonce).encode();
        // Before any request of this call: the lease is counted from no later than its send.
        long sent = System.nanoTime();
        long retryNanos = LOST_RACE_RETRY_NANOS;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply created = steps.create(lock, key, data, deadline);
            if (created.ok()) {
                long token = LockNodeSteps.resultStat(created, 0).getCzxid();
                return granted(resourceId, lock, clientId, data, key, leaseMillis, token, 0, sent);
            }
            ZooKeeperCalls.Reply read = steps.read(lock, deadline, true);
            if (!read.ok()) {
                sightings.forget(lock);
                continue; // released between our create and our read
            }
            Stat stat = read.event().getStat();
            LockRecord current = LockRecord.decode(lock, read.event().getData());
            if (current.nonce().equals(nonce)) {
                // An earlier attempt of ours reached the server before its connection was lost.
                return granted(
                        resourceId, lock, clientId, data, key, leaseMillis, stat.getCzxid(), stat.getVersion(), sent);
            }
            long remaining = leaseClock.remainingNanos(resourceId, lock, current, stat, read.receivedNanos());
            if (remaining > 0) {
                // Look again before the lease could end, to see a renewal soon after it happened.
                long relook = Math.max(1_000_000L, Sightings.waitNanos(current.leaseMillis()) / LOOKS_PER_LEASE);
                return current.clientId().equals(clientId)
                        ? Acquisition.heldByCaller(remaining)
                        : Acquisition.held(Math.min(remaining, relook));
            }
            // The old key node is deleted too: that it still exists proves that the lock node read
            // is still the same acquisition, whose version we hold (see the package description).
            String oldKey = NodePaths.keyPath(lock, current.nonce());
            ZooKeeperCalls.Reply taken = steps.takeOver(lock, stat.getVersion(), oldKey, key, data, deadline);
            if (taken.ok()) {
                long token = LockNodeSteps.resultStat(taken, 2).getCzxid();
                return granted(resourceId, lock, clientId, data, key, leaseMillis, token, 0, sent);
            }
            if (LockNodeSteps.failedOp(taken) == 1) {
                // The lock node matched but its key node is gone: our read was stale (a member
                // behind the leader) or the key node was deleted by hand, which leaves a lock
                // node nobody can take over until its session ends. Either way, do not spin.
                retryNanos = Math.max(retryNanos, Math.min(current.leaseMillis(), 60_000L) * 1_000_000L);
            }
            // Renewed, released or taken by someone else since we read it: look again.
        }
        return Acquisition.held(retryNanos);
    }

    private Acquisition granted(
            String resourceId,
            String lock,
            String clientId,
            byte[] data,
            String key,
            long leaseMillis,
            long token,
            int lockVersion,
            long sentNanos) {
        sightings.forget(lock);
        held.put(
                resourceId,
                new HeldLease(
                        clientId,
                        data,
                        key,
                        lockVersion,
                        leaseMillis,
                        token,
                        HeldLease.expiry(sentNanos, leaseMillis)));
        return Acquisition.acquired(token);
    }

    /** {@link ZooKeeperLockBackend#undo}, once the backend is known open. Never throws. */
    void undo(String resourceId, long attempt) {
        try {
            String lock = paths.lockPath(resourceId);
            String key = NodePaths.keyPath(lock, nonces.of(attempt));
            try {
                undos.undo(lock, key, calls.deadline());
            } finally {
                held.forget(resourceId, key);
            }
        } catch (RuntimeException e) {
            // Never thrown to the runtime (X5): the lease, or the session, ends the lock anyway.
        }
    }

    /** {@link ZooKeeperLockBackend#release}, once the backend is known open. */
    boolean release(String resourceId, String clientId, long fencingToken) {
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        // A known lease that looks over may be an entry older than the node (overlapping
        // renewals): the read below then decides.
        HeldLease known = held.knownLive(resourceId, clientId, fencingToken);
        if (known != null) {
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = steps.releaseAt(lock, known, deadline);
            held.remove(resourceId, known);
            if (reply.ok()) {
                sightings.forget(lock);
                return !known.over(sent); // an expired lease is deleted too, but was not live (U2)
            }
            if (reply.maybeAppliedBefore()) {
                throw unknownOutcome("unlock", lock);
            }
            // Renewed elsewhere, lost, or taken over: find out from the node itself.
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply read = steps.read(lock, deadline, false);
            if (!read.ok()) {
                return false;
            }
            HeldLease current =
                    leaseClock.leaseRead(resourceId, lock, clientId, fencingToken, read.event(), read.receivedNanos());
            if (current == null) {
                return false;
            }
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = steps.releaseAt(lock, current, deadline);
            if (reply.ok()) {
                held.forget(resourceId, current.keyPath());
                sightings.forget(lock);
                return !current.over(sent);
            }
            if (reply.maybeAppliedBefore()) {
                throw unknownOutcome("unlock", lock);
            }
        }
        throw new LockException(
                LockError.INTERNAL_ERROR,
                "unlock of " + ZooKeeperCalls.shorten(lock) + " gave up: the lock kept changing under it");
    }

    private LockException unknownOutcome(String operation, String lock) {
        return new LockException(
                LockError.INTERNAL_ERROR,
                operation + " of " + ZooKeeperCalls.shorten(lock)
                        + ": the connection was lost after the request may have reached ZooKeeper, so whether it"
                        + " took effect is unknown; retry it (U4)");
    }
}
