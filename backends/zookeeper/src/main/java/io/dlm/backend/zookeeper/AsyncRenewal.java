package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeoutException;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.data.Stat;

/**
 * One renewal sent without blocking (K1): the steps of {@link Renewals#renew(String, String,
 * long)}, each sent from the callback of the one before on Curator's background API.
 *
 * <ul>
 *   <li>A lease this backend knows, of the client and token: check its key node and rewrite the
 *       lock node at the known version, one round trip (H3).
 *   <li>Otherwise, or when that fails because the node changed: read the lock node, and renew it
 *       at the version read if it is the client's acquisition with that token (K4); a few rounds.
 * </ul>
 *
 * <p>The result completes once: with whether the lease was renewed, exceptionally with a {@link
 * LockException} on a ZooKeeper error (lost connection, expired session, no auth), or after
 * {@code dlm.operation.timeout} if no answer came; Curator's background calls have no timeout of
 * their own, so one is booked on the backend's {@link Timeouts}. Steps are not retried here: the
 * runtime sends the next renewal soon after a failed one.
 */
final class AsyncRenewal {

    /** How often a renewal looks again at a lock that changed under it, as the blocking one. */
    private static final int MAX_ROUNDS = 5;

    /** A step's answer that the renewal acts upon; any other code fails it. */
    @FunctionalInterface
    private interface Answer {
        void accept(CuratorEvent event, long receivedNanos);
    }

    /** A Curator submission with the callback that completes it. */
    @FunctionalInterface
    private interface Step {
        void submit(BackgroundCallback callback) throws Exception;
    }

    private final Renewals renewals;
    private final LockNodeSteps steps;
    private final String resourceId;
    private final String clientId;
    private final long fencingToken;
    private final String lock;
    private final CompletableFuture<Boolean> result = new CompletableFuture<>();

    AsyncRenewal(Renewals renewals, LockNodeSteps steps, String resourceId, String clientId, long fencingToken) {
        this.renewals = renewals;
        this.steps = steps;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.fencingToken = fencingToken;
        this.lock = renewals.paths().lockPath(resourceId);
    }

    /**
     * Sends the first step and books the timeout.
     *
     * @return the result, completed on ZooKeeper's or the timer's thread
     */
    CompletableFuture<Boolean> start() {
        long timeoutNanos = renewals.operationTimeoutNanos();
        ScheduledFuture<?> timeout = renewals.timeouts().schedule(this::timedOut, timeoutNanos);
        if (timeout == null) {
            result.completeExceptionally(new IllegalStateException("This ZooKeeper lock backend is closed"));
            return result;
        }
        result.whenComplete((renewed, failure) -> timeout.cancel(false));
        try {
            HeldLease known = renewals.knownLive(resourceId, clientId, fencingToken);
            if (known == null) {
                // Over by what this backend knows, or unknown: the node decides. An entry left
                // behind by overlapping renewals is older than the node, which then shows a
                // later version than the entry's.
                read(0);
            } else {
                renew(known, true, 0);
            }
        } catch (RuntimeException e) {
            fail(e);
        }
        return result;
    }

    private void renew(HeldLease lease, boolean cached, int round) {
        long sent = System.nanoTime();
        if (lease.over(sent)) {
            renewals.endExpired(resourceId, lease);
            result.complete(false); // ran out while we looked (H2)
            return;
        }
        send("renew", callback -> steps.submitRenewal(lock, lease, callback), (event, receivedNanos) -> {
            if (event.getResultCode() == Code.OK.intValue()) {
                Stat written = event.getOpResults().get(1).getResultStat();
                result.complete(renewals.renewed(resourceId, lease, cached, written.getVersion(), sent));
                return;
            }
            // The key node is gone or the version moved (renewed elsewhere, lost, taken over):
            // find out from the node itself.
            if (cached) {
                renewals.dropKnown(resourceId, lease);
            }
            read(cached ? round : round + 1);
        });
    }

    private void read(int round) {
        if (round >= MAX_ROUNDS) {
            fail(new LockException(
                    LockError.INTERNAL_ERROR,
                    "heartbeat of " + ZooKeeperCalls.shorten(lock) + " gave up: the lock kept changing under it"));
            return;
        }
        send("read", callback -> steps.submitRead(lock, callback), (event, receivedNanos) -> {
            if (event.getResultCode() != Code.OK.intValue()) {
                result.complete(false); // no lock node: nobody holds it
                return;
            }
            HeldLease current = renewals.leaseRead(resourceId, lock, clientId, fencingToken, event, receivedNanos);
            if (current == null) {
                result.complete(false);
                return;
            }
            if (current.over(System.nanoTime())) {
                renewals.endExpired(resourceId, current);
                result.complete(false); // never revive an expired lease (H2)
                return;
            }
            renew(current, false, round);
        });
    }

    /** Sends a step; its answer runs {@code then}, anything unexpected fails the renewal. */
    private void send(String what, Step step, Answer then) {
        if (result.isDone()) {
            return; // timed out meanwhile: send nothing more
        }
        try {
            step.submit((curator, event) -> {
                long receivedNanos = System.nanoTime();
                Code code = Code.get(event.getResultCode());
                if (code != Code.OK && code != Code.NONODE && code != Code.BADVERSION) {
                    fail(new LockException(
                            LockError.INTERNAL_ERROR,
                            "ZooKeeper failed to " + what + " " + ZooKeeperCalls.shorten(lock),
                            KeeperException.create(code == null ? Code.SYSTEMERROR : code, lock)));
                    return;
                }
                try {
                    then.accept(event, receivedNanos);
                } catch (RuntimeException e) {
                    fail(e); // e.g. a node DLM did not write
                }
            });
        } catch (Exception e) {
            fail(e);
        }
    }

    private void timedOut() {
        fail(new LockException(
                LockError.INTERNAL_ERROR,
                "no reply from ZooKeeper within dlm.operation.timeout ("
                        + Duration.ofNanos(renewals.operationTimeoutNanos()) + ") to renew "
                        + ZooKeeperCalls.shorten(lock),
                new TimeoutException()));
    }

    private void fail(Throwable failure) {
        result.completeExceptionally(
                failure instanceof LockException
                        ? failure
                        : new LockException(
                                LockError.INTERNAL_ERROR,
                                "renewal of " + ZooKeeperCalls.shorten(lock) + " failed: " + failure,
                                failure));
    }
}
