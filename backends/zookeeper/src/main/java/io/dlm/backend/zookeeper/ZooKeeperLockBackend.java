package io.dlm.backend.zookeeper;

import io.dlm.LockError;
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
import java.util.function.IntConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

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
 */
public final class ZooKeeperLockBackend
        implements WatchingLockBackend, AsyncLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    private static final byte[] EMPTY = new byte[0];

    /** How often one call looks again at a lock that changed under it before it reports it held. */
    private static final int MAX_ROUNDS = 5;

    /** When every round was lost to other clients, the runtime tries again this soon. */
    private static final long LOST_RACE_RETRY_NANOS = 1_000_000L;

    /** A contender looks again at a held lock at least this often per lease, to see renewals early. */
    private static final long LOOKS_PER_LEASE = 4;

    private final CuratorFramework client;
    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final Transactions transactions;
    private final HeldLeases held = new HeldLeases();
    private final Sightings sightings = new Sightings();
    private final Nonces nonces = new Nonces();
    private final LockWatches watches;
    private final Undos undos;
    private final LockListing listing;
    private final Timeouts timeouts;
    private final LeaseLossListener leaseLoss;
    private final ConnectionStateListener reconnection = this::onConnectionStateChange;
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
        this.transactions = transactions;
        this.watches = new LockWatches(client);
        this.undos = new Undos(client, calls);
        this.listing = new LockListing(client, paths, calls, this::describe);
        this.timeouts = timeouts;
        this.leaseLoss = leaseLoss;
        this.sessionGuard = new SessionGuard(client, timeouts, sessionTimeoutMillis, this::sessionLost);
        held.reapWith(new LeaseReaper(timeouts, held::get, this::reap, held::remove));
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
        client.getConnectionStateListenable().addListener(backend.reconnection);
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
        ensureSessionKept("acquire '" + resourceId + "'");
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
            ZooKeeperCalls.Reply created = create(lock, key, data, deadline);
            if (created.ok()) {
                long token = resultStat(created, 0).getCzxid();
                return granted(resourceId, lock, clientId, data, key, leaseMillis, token, 0, sent);
            }
            ZooKeeperCalls.Reply read = read(lock, deadline, true);
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
            long remaining = remainingNanos(resourceId, lock, current, stat, read.receivedNanos());
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
            ZooKeeperCalls.Reply taken = takeOver(lock, stat.getVersion(), oldKey, key, data, deadline);
            if (taken.ok()) {
                long token = resultStat(taken, 2).getCzxid();
                return granted(resourceId, lock, clientId, data, key, leaseMillis, token, 0, sent);
            }
            if (failedOp(taken) == 1) {
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

    /**
     * How long the lease a read of the lock node shows may still run, by this process's monotonic
     * clock (E3, N6): for a lease of this backend, until its own end; for anyone else's, until the
     * node has been seen unchanged for a whole lease ({@link Sightings}).
     *
     * @return nanoseconds, {@code 0} once the lease has certainly ended
     */
    private long remainingNanos(String resourceId, String lock, LockRecord record, Stat stat, long receivedNanos) {
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
     * Deletes a lease of this backend that ran out ({@link LeaseReaper}): its key node and its lock
     * node at the known version, so that a renewal that got there first keeps it. Never blocks.
     */
    private void reap(String resourceId, HeldLease lease, IntConsumer resultCode) {
        String lock = paths.lockPath(resourceId);
        if (!client.getZookeeperClient().isConnected()) {
            // Curator would hold the calling thread (the timer's) for a second before it queues a
            // background step while disconnected: try again later instead.
            resultCode.accept(Code.CONNECTIONLOSS.intValue());
            return;
        }
        try {
            client.transaction()
                    .inBackground((curator, event) -> {
                        if (event.getResultCode() == Code.OK.intValue()) {
                            sightings.forget(lock);
                        }
                        resultCode.accept(event.getResultCode());
                    })
                    .forOperations(
                            client.transactionOp().delete().forPath(lease.keyPath()),
                            client.transactionOp()
                                    .delete()
                                    .withVersion(lease.version())
                                    .forPath(lock));
        } catch (Exception e) {
            resultCode.accept(Code.SYSTEMERROR.intValue());
        }
    }

    /**
     * Creates lock and key node; the lock node's create (first result) carries its stat, whose
     * {@code czxid} is the token.
     */
    private ZooKeeperCalls.Reply create(String lock, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> transactions.send(
                List.of(transactions.createEphemeral(lock, data), transactions.createEphemeral(key, EMPTY)), callback);
        ZooKeeperCalls.Reply reply =
                calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        if (reply.code() == Code.NONODE) {
            // Only the base path can be missing: create it once, then try again.
            ensureBasePath(deadline);
            reply = calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        }
        return reply;
    }

    /**
     * Deletes the expired lock node at the version read with its key node, and creates the new
     * pair; the lock node's create (third result) carries the token.
     */
    private ZooKeeperCalls.Reply takeOver(
            String lock, int version, String oldKey, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> transactions.send(
                List.of(
                        Op.delete(lock, version),
                        Op.delete(oldKey, -1),
                        transactions.createEphemeral(lock, data),
                        transactions.createEphemeral(key, EMPTY)),
                callback);
        return calls.interruptibly(
                "take over the expired lease of", lock, deadline, late -> undos.undoInBackground(lock, key), step);
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
        try {
            String lock = paths.lockPath(resourceId);
            String key = NodePaths.keyPath(lock, nonces.of(attempt));
            try {
                undos.undo(lock, key, calls.deadline());
            } finally {
                forget(resourceId, key);
            }
        } catch (RuntimeException e) {
            // Never thrown to the runtime (X5): the lease, or the session, ends the lock anyway.
        }
    }

    private void ensureBasePath(long deadline) {
        calls.interruptibly(
                "create the base path",
                paths.basePath(),
                deadline,
                null,
                callback -> client.create()
                        .creatingParentsIfNeeded()
                        .withMode(CreateMode.PERSISTENT)
                        .inBackground(callback)
                        .forPath(paths.basePath(), EMPTY));
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
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        HeldLease known = known(resourceId, clientId, fencingToken);
        // A known lease that looks over may be an entry older than the node (overlapping
        // renewals): the read below then decides.
        if (known != null && !known.over(System.nanoTime())) {
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = releaseAt(lock, known, deadline);
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
            ZooKeeperCalls.Reply read = read(lock, deadline, false);
            if (!read.ok()) {
                return false;
            }
            HeldLease current = leaseRead(resourceId, lock, clientId, fencingToken, read.event(), read.receivedNanos());
            if (current == null) {
                return false;
            }
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = releaseAt(lock, current, deadline);
            if (reply.ok()) {
                forget(resourceId, current.keyPath());
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

    /** Deletes key and lock node, the lock node only at the version of the lease's last write. */
    private ZooKeeperCalls.Reply releaseAt(String lock, HeldLease lease, long deadline) {
        return releaseAt(lock, lease.keyPath(), lease.version(), deadline);
    }

    /**
     * Deletes a key node and its lock node at a version, in one transaction; the key node first,
     * so that a failure because it is gone shows as the first operation's.
     */
    private ZooKeeperCalls.Reply releaseAt(String lock, String key, int version, long deadline) {
        return calls.uninterruptibly(
                "release",
                lock,
                deadline,
                callback -> transactions.send(List.of(Op.delete(key, -1), Op.delete(lock, version)), callback));
    }

    private void forget(String resourceId, String key) {
        HeldLease known = held.get(resourceId);
        if (known != null && known.keyPath().equals(key)) {
            held.remove(resourceId, known);
        }
    }

    private LockException unknownOutcome(String operation, String lock) {
        return new LockException(
                LockError.INTERNAL_ERROR,
                operation + " of " + ZooKeeperCalls.shorten(lock)
                        + ": the connection was lost after the request may have reached ZooKeeper, so whether it"
                        + " took effect is unknown; retry it (U4)");
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
        ensureSessionKept("renew '" + resourceId + "'");
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        HeldLease known = known(resourceId, clientId, fencingToken);
        if (known != null && !known.over(System.nanoTime())) {
            long sent = System.nanoTime();
            ZooKeeperCalls.Reply reply = renewAt(lock, known, deadline);
            if (reply.ok()) {
                return renewed(resourceId, known, true, resultStat(reply, 1).getVersion(), sent);
            }
            held.remove(resourceId, known);
            // Renewed elsewhere, lost, or taken over: find out from the node itself.
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply read = read(lock, deadline, false);
            if (!read.ok()) {
                return false;
            }
            HeldLease current = leaseRead(resourceId, lock, clientId, fencingToken, read.event(), read.receivedNanos());
            long sent = System.nanoTime();
            if (current == null) {
                return false;
            }
            if (current.over(sent)) {
                endExpired(resourceId, current);
                return false; // never revive an expired lease (H2)
            }
            ZooKeeperCalls.Reply reply = renewAt(lock, current, deadline);
            if (reply.ok()) {
                return renewed(resourceId, current, false, resultStat(reply, 1).getVersion(), sent);
            }
            // Changed since we read it (another renewal of the same client): look again.
        }
        throw new LockException(
                LockError.INTERNAL_ERROR,
                "heartbeat of " + ZooKeeperCalls.shorten(lock) + " gave up: the lock kept changing under it");
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
            ensureSessionKept("renew '" + resourceId + "'");
        } catch (LockException e) {
            return CompletableFuture.failedFuture(e);
        }
        return new AsyncRenewal(this, resourceId, clientId, fencingToken).start();
    }

    /** Checks the key node and rewrites the lock node, which changes its version (second result). */
    private ZooKeeperCalls.Reply renewAt(String lock, HeldLease lease, long deadline) {
        return calls.uninterruptibly("renew", lock, deadline, callback -> submitRenewal(lock, lease, callback));
    }

    /**
     * Sends a renewal: checks the key node and rewrites the lock node at the known version.
     *
     * @param lock the lock node
     * @param lease the lease to renew, at its known version
     * @param callback gets the reply; its second result carries the write's stamp
     * @throws Exception if Curator refuses the request
     */
    void submitRenewal(String lock, HeldLease lease, BackgroundCallback callback) throws Exception {
        client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp().check().forPath(lease.keyPath()),
                        client.transactionOp()
                                .setData()
                                .withVersion(lease.version())
                                .forPath(lock, lease.data()));
    }

    /**
     * Sends a read of a lock node.
     *
     * @param lock the lock node
     * @param callback gets the data and stat
     * @throws Exception if Curator refuses the request
     */
    void submitRead(String lock, BackgroundCallback callback) throws Exception {
        client.getData().inBackground(callback).forPath(lock);
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
        HeldLease cached = held.get(resourceId);
        if (cached != null && cached.keyPath().equals(lease.keyPath())) {
            held.remove(resourceId, cached);
        }
        reap(resourceId, lease, code -> {});
    }

    /**
     * The lease this backend knows for {@code clientId}, if it is the one meant by {@code
     * fencingToken} (any, for {@link #ANY_ACQUISITION}).
     */
    private @Nullable HeldLease known(String resourceId, String clientId, long fencingToken) {
        HeldLease known = held.get(resourceId);
        return known != null
                        && known.clientId().equals(clientId)
                        && (fencingToken == ANY_ACQUISITION || known.token() == fencingToken)
                ? known
                : null;
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
                || (fencingToken != ANY_ACQUISITION && stat.getCzxid() != fencingToken)) {
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

    /** The lease this backend knows, for {@link AsyncRenewal}; see {@link #known}. */
    @Nullable
    HeldLease knownLease(String resourceId, String clientId, long fencingToken) {
        return known(resourceId, clientId, fencingToken);
    }

    /** Drops a cached lease that turned out to be stale. */
    void dropKnown(String resourceId, HeldLease lease) {
        held.remove(resourceId, lease);
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

    // ---- inspect ------------------------------------------------------------------------------

    /**
     * Reads the lock node: holder, token and remaining lease (I1). For a lease of this backend the
     * remaining lease is exact; for anyone else's it is what this process may count on, from when it
     * first saw the node unchanged: at most the lease, and an upper bound of the holder's own count.
     */
    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        ensureOpen();
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        ZooKeeperCalls.Reply read = read(lock, deadline, false);
        if (!read.ok()) {
            return Optional.empty();
        }
        LockRecord current = LockRecord.decode(lock, read.event().getData());
        return Optional.ofNullable(
                describe(resourceId, lock, current, read.event().getStat(), read.receivedNanos()));
    }

    /**
     * Describes the lease a read of a lock node shows (I1): holder, token and what is left of it,
     * at most the lease.
     *
     * @return the lease, or {@code null} once it is over by this process's judgement
     */
    private @Nullable LockInfo describe(
            String resourceId, String lock, LockRecord record, Stat stat, long receivedNanos) {
        long remaining = Math.min(
                remainingNanos(resourceId, lock, record, stat, receivedNanos),
                Duration.ofMillis(record.leaseMillis()).toNanos());
        return remaining <= 0
                ? null
                : new LockInfo(resourceId, record.clientId(), stat.getCzxid(), Duration.ofNanos(remaining));
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
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        // The lock node seen when the key node was found missing, to tell a lock that changed
        // from one whose key node was deleted by hand (which no step of DLM can ever remove).
        @Nullable Stat withoutKey = null;
        for (; ; ) {
            ZooKeeperCalls.Reply read = read(lock, deadline, false);
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
            LockInfo broken = describe(resourceId, lock, current, stat, read.receivedNanos());
            String key = NodePaths.keyPath(lock, current.nonce());
            ZooKeeperCalls.Reply deleted = releaseAt(lock, key, stat.getVersion(), deadline);
            if (deleted.ok()) {
                // Also when this backend held the lease itself: its reaper has nothing left to end.
                forget(resourceId, key);
                sightings.forget(lock);
                return Optional.ofNullable(broken);
            }
            int failed = failedOp(deleted);
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

    /** One millisecond: the lock node states leases in whole milliseconds (E1). */
    @Override
    public Duration leaseGranularity() {
        return Duration.ofMillis(1);
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

    // ---- shared steps -------------------------------------------------------------------------

    private ZooKeeperCalls.Reply read(String lock, long deadline, boolean interruptible) {
        ZooKeeperCalls.Step step =
                callback -> client.getData().inBackground(callback).forPath(lock);
        return interruptible
                ? calls.interruptibly("read", lock, deadline, null, step)
                : calls.uninterruptibly("read", lock, deadline, step);
    }

    private static Stat resultStat(ZooKeeperCalls.Reply reply, int index) {
        return reply.event().getOpResults().get(index).getResultStat();
    }

    /** The index of the operation that made a transaction fail, or {@code -1}. */
    private static int failedOp(ZooKeeperCalls.Reply reply) {
        List<CuratorTransactionResult> results = reply.event().getOpResults();
        if (results != null) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).getError() != 0) {
                    return i;
                }
            }
        }
        return -1;
    }

    /**
     * The session is gone, or given up before the ensemble could end it ({@link SessionGuard}, K3,
     * N1): its lock nodes are gone or soon will be, so every lease is lost now, and the undos kept
     * for it have nothing left to delete.
     */
    private void sessionLost() {
        held.clear();
        undos.sessionLost();
        leaseLoss.allLeasesLost();
    }

    /**
     * Back on the same session after a lost connection: undos that could not be confirmed are sent
     * again (X5). Losses are {@link SessionGuard}'s.
     */
    private void onConnectionStateChange(CuratorFramework curator, ConnectionState state) {
        if (state == ConnectionState.RECONNECTED && !closed) {
            undos.retryPending();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("This ZooKeeper lock backend is closed");
        }
    }

    /**
     * Refuses to work on a session the {@link SessionGuard} gave up (K3, N1): its leases were
     * reported lost, and a lock taken or renewed on it now would vanish with it unannounced. Fails
     * until Curator has connected a new session, which takes about a reconnection.
     */
    private void ensureSessionKept(String operation) {
        if (sessionGuard.sessionGivenUp()) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "cannot " + operation + ": the ZooKeeper session was given up after a lost connection and"
                            + " a new one is not yet connected",
                    new KeeperException.ConnectionLossException());
        }
    }

    // ---- close --------------------------------------------------------------------------------

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
