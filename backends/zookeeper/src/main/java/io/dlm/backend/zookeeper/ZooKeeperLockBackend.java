package io.dlm.backend.zookeeper;

import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.WatchingLockBackend;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.curator.framework.CuratorFramework;

/**
 * Locks as ephemeral ZooKeeper nodes with a lease (provider name {@code zookeeper}).
 *
 * <p>A held lock is a lock node named after the resource plus a key node named after the
 * acquisition (see the package description). Each operation is one ZooKeeper transaction, after at
 * most one read:
 *
 * <ul>
 *   <li>acquire: create lock and key node, the lock node with ZooKeeper's {@code create2}, whose
 *       result carries the node's stat and so the token ({@link Transactions}); if the lock node
 *       exists and its lease has ended (below), delete it at the version read together with the old
 *       key node and create the new pair, all in one transaction;
 *   <li>renew (H3): check the key node and rewrite the lock node at its known version, one round
 *       trip, only while the lease has not ended by this process's clock (H2);
 *   <li>release (U2): delete the key node and the lock node at its known version, one round
 *       trip; {@code true} only if it was sent before the lease's end.
 * </ul>
 *
 * <p>The fencing token is the lock node's {@code czxid}: the id of the transaction that created
 * it, which ZooKeeper only ever increases, across leader elections and restarts (F1). Release and
 * renewal with a token act only if the lock node's {@code czxid} is that token (K4).
 *
 * <p>Leases are measured by monotonic clocks only, never by a wall clock, of a client or of a
 * ZooKeeper server (E3, N6): the holder's process counts its lease from the send of its
 * acquisition or last renewal and deletes the lock node when it runs out ({@link HeldLease},
 * {@link LeaseReaper}); a contender in another process takes the lock over only after it has seen
 * the node unchanged for a whole lease plus a margin ({@link Sightings}). The node's {@code mtime}
 * is not used.
 *
 * <p>The key node is named by the runtime's attempt id ({@link Nonces}), so that {@link #undo}
 * deletes exactly the acquisition of that attempt (X5, {@link Undos}). Renewals also run without
 * blocking, on Curator's callbacks ({@link AsyncRenewal}, K1). When the session is lost, or given up
 * before the ensemble could end it ({@link SessionGuard}), every lease is reported lost at once (K3).
 *
 * <p>For operators (O4), {@link #list} reads the children of the base path ({@link LockListing}),
 * and {@link #forceRelease} deletes the lock and key node of whatever acquisition holds a resource,
 * at the version read, as a release by its holder would.
 *
 * <p>This class is the backend's face: it checks that it is open and that its session is kept,
 * hands each call to the class that does it, and owns the backend's lifecycle ({@link #open},
 * {@link #close}). The recipe of acquire, release and undo is {@link LockRecipe}'s; renewals are
 * {@link Renewals}' and {@link AsyncRenewal}'s; inspection and forced release {@link
 * LockAdministration}'s; every request on a lock node {@link LockNodeSteps}'; judging a lease by this
 * process's clock {@link LeaseClock}'s; and what a lost or regained session does {@link
 * SessionEvents}'.
 */
public final class ZooKeeperLockBackend
        implements WatchingLockBackend, AsyncLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    private final CuratorFramework client;
    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final HeldLeases held = new HeldLeases();
    private final LockWatches watches;
    private final Undos undos;
    private final LockRecipe recipe;
    private final Renewals renewals;
    private final LockAdministration administration;
    private final LockListing listing;
    private final Timeouts timeouts;
    private final SessionEvents sessionEvents;
    private final SessionGuard sessionGuard;
    private volatile boolean closed;

    private ZooKeeperLockBackend(
            CuratorFramework client,
            String basePath,
            ZooKeeperCalls calls,
            Transactions transactions,
            Timeouts timeouts,
            long sessionTimeoutMillis,
            LeaseLossListener leaseLoss) {
        this.client = client;
        this.paths = new NodePaths(basePath);
        this.calls = calls;
        Sightings sightings = new Sightings();
        LeaseClock leaseClock = new LeaseClock(held, sightings);
        this.watches = new LockWatches(client);
        this.undos = new Undos(client, calls);
        LockNodeSteps steps = new LockNodeSteps(client, paths, calls, transactions, undos, sightings);
        this.recipe = new LockRecipe(paths, calls, steps, held, sightings, new Nonces(), undos, leaseClock);
        this.renewals = new Renewals(paths, calls, steps, held, leaseClock, timeouts);
        this.administration = new LockAdministration(paths, calls, steps, held, sightings, leaseClock);
        this.listing = new LockListing(client, paths, calls, leaseClock::describe);
        this.timeouts = timeouts;
        this.sessionEvents = new SessionEvents(held, undos, leaseLoss, () -> closed);
        this.sessionGuard = new SessionGuard(client, timeouts, sessionTimeoutMillis, sessionEvents::sessionLost);
        held.reapWith(new LeaseReaper(timeouts, held::get, steps::reap, held::remove));
    }

    /**
     * Opens a backend: starts its ZooKeeper session, without waiting for it. Steps that need the
     * ensemble before it is reachable fail with {@code INTERNAL_ERROR}.
     *
     * @param settings the {@code dlm.zookeeper.*} settings
     * @param operationTimeout {@code dlm.operation.timeout}
     * @param leaseLoss where to report that the session, and so every lock, is gone (K3)
     * @return the open backend
     */
    static ZooKeeperLockBackend open(
            ZooKeeperSettings settings, Duration operationTimeout, LeaseLossListener leaseLoss) {
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, Math.max(1, operationTimeout.toMillis()));
        String name = CuratorClients.nextName();
        CuratorFramework client = CuratorClients.build(settings, timeoutMillis, name);
        ZooKeeperLockBackend backend = new ZooKeeperLockBackend(
                client,
                settings.basePath(),
                new ZooKeeperCalls(operationTimeout, settings.maxRetries(), settings.retryBaseSleep()),
                new Transactions(client, settings.acl()),
                new Timeouts(name + "-timeouts"),
                settings.sessionTimeout().toMillis(),
                leaseLoss);
        client.getConnectionStateListenable().addListener(backend.watches);
        client.getConnectionStateListenable().addListener(backend.sessionGuard);
        client.getConnectionStateListenable().addListener(backend.sessionEvents);
        client.start();
        return backend;
    }

    // ---- acquire ------------------------------------------------------------------------------

    /**
     * Takes the resource if its lock node is absent, or present with a lease that has ended (L1,
     * E2), in one transaction; the token is the new lock node's {@code czxid} (F1). Leases are
     * rounded up to whole milliseconds (E1). The key node is named after {@code attempt}, for
     * {@link #undo} (X5). Whether a lease has ended is judged by monotonic clocks only (E3, N6):
     * this process's own leases by when they were sent ({@link HeldLease}), others' by how long the
     * lock node has been seen unchanged ({@link Sightings}).
     */
    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        ensureOpen();
        sessionGuard.ensureKept("acquire '" + resourceId + "'");
        return recipe.acquire(resourceId, clientId, leaseNanos, attempt);
    }

    /**
     * Deletes the acquisition of {@code attempt}, if the engine made it, and only it (X5): its key
     * node and lock node together, so a lock the client held before or took by another attempt is
     * left alone. Sent on this backend's session after the acquisition, so it is applied after it;
     * an outcome the connection hid is sent again on reconnection ({@link Undos}). Never throws;
     * waits at most {@code dlm.operation.timeout}.
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        if (closed) {
            return; // the session's end deleted every node of this backend
        }
        recipe.undo(resourceId, attempt);
    }

    // ---- release ------------------------------------------------------------------------------

    /**
     * Deletes the lock and key node of this client's live lease in one transaction, guarded by the
     * key node and the lock node's version (U1, U2); with a token, only if the lock node's {@code
     * czxid} is that token (K4). An outcome the connection hid is reported as {@code
     * INTERNAL_ERROR}, to be retried (U4).
     */
    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        ensureOpen();
        return recipe.release(resourceId, clientId, fencingToken);
    }

    // ---- renew --------------------------------------------------------------------------------

    /**
     * Rewrites the lock node of this client's live lease (with a token: of that acquisition, K4),
     * which restarts the lease from the renewal's send (H1, K2) and changes the node's version, so
     * that a contender watching it for a whole lease starts over; one round trip when this backend
     * knows the lease (H3); a lease already over by this process's clock is never revived (H2).
     */
    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        ensureOpen();
        sessionGuard.ensureKept("renew '" + resourceId + "'");
        return renewals.renew(resourceId, clientId, fencingToken);
    }

    /**
     * Renews like {@link #renew(String, String, long)}, on Curator's callbacks: never blocks, and
     * completes within {@code dlm.operation.timeout}, exceptionally on an engine failure (K1).
     */
    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("This ZooKeeper lock backend is closed"));
        }
        try {
            sessionGuard.ensureKept("renew '" + resourceId + "'");
        } catch (LockException e) {
            return CompletableFuture.failedFuture(e);
        }
        return renewals.renewAsync(resourceId, clientId, fencingToken);
    }

    // ---- inspect ------------------------------------------------------------------------------

    /**
     * Reads the lock node: holder, token and remaining lease (I1). For a lease of this backend the
     * remaining lease is exact; for anyone else's it is what this process may count on, from when it
     * first saw the node unchanged: at most the lease, and an upper bound of the holder's own count.
     */
    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        ensureOpen();
        return administration.inspect(resourceId);
    }

    // ---- operators (O4) -----------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Lists the lock nodes that are children of this backend's base path, decoded back to ids;
     * with more than {@code limit} matching live locks, the ones listed are the first {@code limit}
     * by id ({@link String#compareTo}). Each lock is described as {@link #inspect} would describe
     * it; nodes that are not lock nodes are skipped ({@link LockListing}). The whole listing ends
     * within the operation timeout, else it fails with {@code INTERNAL_ERROR}.
     */
    @Override
    public List<LockInfo> list(String prefix, int limit) {
        ensureOpen();
        return listing.list(prefix, limit);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the lock node, then deletes its key node and the lock node at the version read, in
     * one transaction: the key node, named by the acquisition's nonce, exists only as long as that
     * acquisition's lock node, and the version only as long as nobody renewed it, so the step
     * removes exactly the lease read or nothing. If the lease was renewed, released or taken in
     * between, it reads again, within the operation timeout. What follows comes from ZooKeeper
     * itself: the deletion wakes every waiter's watch (U3, L4); the former holder's renewal and
     * release check its key node, which is gone, so they return {@code false} and a kept-alive
     * lease is reported lost (K3); the next acquisition creates the lock node anew, and its {@code
     * czxid}, the token, is a later transaction id (F1).
     *
     * <p>A lease that is already over by this process's judgement is deleted too, to free the
     * resource for everybody at once, but not returned: the resource was free (E2).
     */
    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        ensureOpen();
        return administration.forceRelease(resourceId);
    }

    /** One millisecond: the lock node states leases in whole milliseconds (E1). */
    @Override
    public Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }

    /**
     * The session timeout: the ensemble ends a session, and deletes its lock nodes, that long after
     * it last heard from this client, whatever the leases say. A renewal is a request on the
     * session, so a holder whose renewals are confirmed keeps both; one paused longer than this
     * finds its leases invalid on resuming, before it could act on a lock another client took
     * (K2, N2).
     */
    @Override
    public Duration confirmationValidity() {
        return Duration.ofMillis(sessionGuard.sessionTimeoutMillis());
    }

    // ---- watches ------------------------------------------------------------------------------

    /**
     * Watches the lock node for its deletion with a persistent watch shared by this backend's
     * waiters on the resource (L4), removed from the server when the last of them leaves (L5).
     */
    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        ensureOpen();
        return watches.open(paths.lockPath(resourceId), onMaybeFree, calls.deadline());
    }

    // ---- close --------------------------------------------------------------------------------

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("This ZooKeeper lock backend is closed");
        }
    }

    /**
     * Ends the session, which makes ZooKeeper delete every lock node this backend created, and so
     * release its locks, in one step; then stops Curator's and ZooKeeper's threads (C1). Closing
     * the session waits at most {@code dlm.operation.timeout}; if the ensemble cannot be reached,
     * the locks end with their leases or when the session times out, whichever comes first.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        watches.close();
        held.clear();
        timeouts.close(calls.timeoutNanos());
        client.close();
    }

    /**
     * The Curator client, for tests that break its session.
     *
     * @return the client
     */
    CuratorFramework curator() {
        return client;
    }

    /**
     * How many undos wait for a reconnection, for tests of X5.
     *
     * @return the count
     */
    int pendingUndos() {
        return undos.pendingCount();
    }

    /**
     * How many lock nodes this backend watches, for tests of L5.
     *
     * @return the count
     */
    int watchedNodes() {
        return watches.size();
    }
}
