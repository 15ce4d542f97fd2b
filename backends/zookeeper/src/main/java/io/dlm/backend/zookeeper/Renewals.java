package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import java.util.concurrent.CompletionStage;
import org.apache.curator.framework.api.CuratorEvent;
import org.jspecify.annotations.Nullable;

/**
 * Renews this backend's leases (H1-H3, K1, K2, K4): blocking, or without blocking through one
 * {@link AsyncRenewal} per renewal, and takes in what a renewal learnt. A renewal checks the key
 * node and rewrites the lock node at its known version ({@link LockNodeSteps#renewAt}), which
 * restarts the lease from the renewal's send and changes the node's version; a lease already over
 * by this process's clock is never revived (H2) but ended at once, as the {@link LeaseReaper} would.
 */
final class Renewals {

    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final LockNodeSteps steps;
    private final HeldLeases held;
    private final LeaseClock leaseClock;
    private final Timeouts timeouts;

    /**
     * @param paths the backend's base path
     * @param calls gives each call its deadline
     * @param steps the requests
     * @param held the leases this backend acquired or renewed
     * @param leaseClock judges the lease a read shows
     * @param timeouts bounds the renewals nobody waits for
     */
    Renewals(
            NodePaths paths,
            ZooKeeperCalls calls,
            LockNodeSteps steps,
            HeldLeases held,
            LeaseClock leaseClock,
            Timeouts timeouts) {
        this.paths = paths;
        this.calls = calls;
        this.steps = steps;
        this.held = held;
        this.leaseClock = leaseClock;
        this.timeouts = timeouts;
    }

    /** {@link ZooKeeperLockBackend#renew}, once the backend is known open and its session kept. */
    boolean renew(String resourceId, String clientId, long fencingToken) {
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        HeldLease known = held.knownLive(resourceId, clientId, fencingToken);
        if (known != null) {
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = steps.renewAt(lock, known, deadline);
            if (reply.ok()) {
                return renewed(
                        resourceId,
                        known,
                        true,
                        LockNodeSteps.resultStat(reply, 1).getVersion(),
                        sent);
            }
            held.remove(resourceId, known);
            // Renewed elsewhere, lost, or taken over: find out from the node itself.
        }
        for (int round = 0; round < LockRecipe.MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply read = steps.read(lock, deadline, false);
            if (!read.ok()) {
                return false;
            }
            HeldLease current =
                    leaseClock.leaseRead(resourceId, lock, clientId, fencingToken, read.event(), read.receivedNanos());
            long sent = System.nanoTime();
            if (current == null) {
                return false;
            }
            if (current.over(sent)) {
                endExpired(resourceId, current);
                return false; // never revive an expired lease (H2)
            }
            ZooKeeperCalls.Reply reply = steps.renewAt(lock, current, deadline);
            if (reply.ok()) {
                return renewed(
                        resourceId,
                        current,
                        false,
                        LockNodeSteps.resultStat(reply, 1).getVersion(),
                        sent);
            }
            // Changed since we read it (another renewal of the same client): look again.
        }
        throw new LockException(
                LockError.INTERNAL_ERROR,
                "heartbeat of " + ZooKeeperCalls.shorten(lock) + " gave up: the lock kept changing under it");
    }

    /** {@link ZooKeeperLockBackend#renewAsync}, once the backend is known open and its session kept. */
    CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        return new AsyncRenewal(this, steps, resourceId, clientId, fencingToken).start();
    }

    /**
     * Takes in a renewal the engine applied: the lease now ends a lease length after the renewal
     * was sent (K2). It was sent before the lease's end by this process's clock, and applied while
     * the lock node was still at the version of the lease's last write, so nobody had ended it.
     *
     * @param resourceId the resource
     * @param renewedLease the lease as it was before the renewal
     * @param cached whether {@code renewedLease} came from {@link HeldLeases} (else from a read)
     * @param newVersion the lock node's version after the renewal
     * @param sentNanos when the renewal was sent
     * @return {@code true}: the lease is renewed
     */
    boolean renewed(String resourceId, HeldLease renewedLease, boolean cached, int newVersion, long sentNanos) {
        HeldLease next = renewedLease.renewed(newVersion, sentNanos);
        if (cached) {
            held.replace(resourceId, renewedLease, next);
        } else {
            // Known from now on, so that the next heartbeat takes one round trip (H3), and so
            // that this process ends it when it runs out.
            held.putUnlessNewer(resourceId, next);
        }
        return true;
    }

    /**
     * Ends a lease of this backend that ran out before its holder renewed or released it: forgets it
     * and deletes its nodes without waiting (the {@link LeaseReaper} may have done so already).
     *
     * @param resourceId the resource
     * @param lease the expired lease
     */
    void endExpired(String resourceId, HeldLease lease) {
        held.forget(resourceId, lease.keyPath());
        steps.reap(resourceId, lease, code -> {});
    }

    /** The live lease this backend knows, for {@link AsyncRenewal}; see {@link HeldLeases#knownLive}. */
    @Nullable
    HeldLease knownLive(String resourceId, String clientId, long fencingToken) {
        return held.knownLive(resourceId, clientId, fencingToken);
    }

    /** Drops a cached lease that turned out to be stale. */
    void dropKnown(String resourceId, HeldLease lease) {
        held.remove(resourceId, lease);
    }

    /** The lease a read shows, for {@link AsyncRenewal}; see {@link LeaseClock#leaseRead}. */
    @Nullable
    HeldLease leaseRead(
            String resourceId, String lock, String clientId, long fencingToken, CuratorEvent read, long receivedNanos) {
        return leaseClock.leaseRead(resourceId, lock, clientId, fencingToken, read, receivedNanos);
    }

    NodePaths paths() {
        return paths;
    }

    Timeouts timeouts() {
        return timeouts;
    }

    long operationTimeoutNanos() {
        return calls.timeoutNanos();
    }
}
