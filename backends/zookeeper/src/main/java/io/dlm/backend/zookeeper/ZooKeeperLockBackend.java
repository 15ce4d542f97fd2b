package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.WatchingLockBackend;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
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
 *   <li>acquire: create lock and key node, and stamp the key node for the token and the time;
 *       if the lock node exists and its lease has ended by the leader's clock, delete it at the
 *       version read together with the old key node and create the new pair, all in one
 *       transaction;
 *   <li>renew (H3): check the key node and rewrite the lock node at its known version, one round
 *       trip; the write's stamp must still be before the lease's end, or the renewal is undone
 *       and reported as {@code false} (H2);
 *   <li>release (U2): delete the key node, rewrite the lock node at its known version (for the
 *       stamp) and delete it, one round trip; {@code true} only if the stamp is before the lease's
 *       end.
 * </ul>
 *
 * <p>The fencing token is the lock node's {@code czxid}: the id of the transaction that created
 * it, which ZooKeeper only ever increases, across leader elections and restarts (F1). Leases are
 * measured by the leader's clock through the nodes' {@code mtime} ({@link ServerClock}, E3).
 * Release and renewal with a token act only if the lock node's {@code czxid} is that token (K4).
 *
 * <p>The key node is named by the runtime's attempt id ({@link Nonces}), so that {@link #undo}
 * deletes exactly the acquisition of that attempt (X5, {@link Undos}). Renewals also run without
 * blocking, on Curator's callbacks ({@link AsyncRenewal}, K1). When the session is lost, or given up
 * before the ensemble could end it ({@link SessionGuard}), every lease is reported lost at once (K3).
 */
public final class ZooKeeperLockBackend implements WatchingLockBackend, AsyncLockBackend {

    private static final byte[] EMPTY = new byte[0];

    /** How often one call looks again at a lock that changed under it before it reports it held. */
    private static final int MAX_ROUNDS = 5;

    /** When every round was lost to other clients, the runtime tries again this soon. */
    private static final long LOST_RACE_RETRY_NANOS = 1_000_000L;

    /** Extrapolating the leader's clock from an older write is not trusted; a write renews it. */
    private static final long CLOCK_SAMPLE_MAX_AGE_NANOS = 10_000_000_000L;

    private final CuratorFramework client;
    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final ServerClock clock = new ServerClock();
    private final HeldLeases held = new HeldLeases();
    private final Nonces nonces = new Nonces();
    private final LockWatches watches;
    private final Undos undos;
    private final Timeouts timeouts;
    private final LeaseLossListener leaseLoss;
    private final ConnectionStateListener reconnection = this::onConnectionStateChange;
    private final SessionGuard sessionGuard;
    private volatile boolean closed;

    private ZooKeeperLockBackend(
            CuratorFramework client,
            String basePath,
            ZooKeeperCalls calls,
            Timeouts timeouts,
            long sessionTimeoutMillis,
            LeaseLossListener leaseLoss) {
        this.client = client;
        this.paths = new NodePaths(basePath);
        this.calls = calls;
        this.watches = new LockWatches(client);
        this.undos = new Undos(client, calls);
        this.timeouts = timeouts;
        this.leaseLoss = leaseLoss;
        this.sessionGuard = new SessionGuard(client, timeouts, sessionTimeoutMillis, this::sessionLost);
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
     * Takes the resource if its lock node is absent, or present with a lease that the leader's
     * clock shows has ended (L1, E2, E3), in one transaction; the token is the new lock node's
     * {@code czxid} (F1). Leases are rounded up to whole milliseconds (E1). The key node is named
     * after {@code attempt}, for {@link #undo} (X5).
     */
    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        ensureOpen();
        long deadline = calls.deadline();
        long leaseMillis = Math.max(1, (leaseNanos + 999_999L) / 1_000_000L);
        String lock = paths.lockPath(resourceId);
        String nonce = nonces.of(attempt);
        String key = NodePaths.keyPath(lock, nonce);
        byte[] data = new LockRecord(clientId, leaseMillis, nonce).encode();
        long retryNanos = LOST_RACE_RETRY_NANOS;
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply created = create(lock, key, data, deadline);
            if (created.ok()) {
                Stat stamped = resultStat(created, 2);
                return granted(resourceId, clientId, data, key, leaseMillis, stamped, 0, created.receivedNanos());
            }
            ZooKeeperCalls.Reply read = read(lock, deadline, true);
            if (!read.ok()) {
                continue; // released between our create and our read
            }
            Stat stat = read.event().getStat();
            LockRecord current = LockRecord.decode(lock, read.event().getData());
            if (current.nonce().equals(nonce)) {
                // An earlier attempt of ours reached the server before its connection was lost.
                return granted(
                        resourceId, clientId, data, key, leaseMillis, stat, stat.getVersion(), read.receivedNanos());
            }
            long deadlineMillis = HeldLease.deadline(stat.getMtime(), current.leaseMillis());
            long remaining = remainingMillis(deadlineMillis, current.leaseMillis(), deadline, true);
            if (remaining > 0) {
                long remainingNanos =
                        remaining >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : remaining * 1_000_000L;
                return current.clientId().equals(clientId)
                        ? Acquisition.heldByCaller(remainingNanos)
                        : Acquisition.held(remainingNanos);
            }
            // The old key node is deleted too: that it still exists proves that the lock node read
            // is still the same acquisition, whose version we hold (see the package description).
            String oldKey = NodePaths.keyPath(lock, current.nonce());
            ZooKeeperCalls.Reply taken = takeOver(lock, stat.getVersion(), oldKey, key, data, deadline);
            if (taken.ok()) {
                List<CuratorTransactionResult> results = taken.event().getOpResults();
                Stat stamped = results.get(results.size() - 1).getResultStat();
                return granted(resourceId, clientId, data, key, leaseMillis, stamped, 0, taken.receivedNanos());
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
            String clientId,
            byte[] data,
            String key,
            long leaseMillis,
            Stat stamped,
            int lockVersion,
            long receivedNanos) {
        clock.observe(stamped.getMtime(), receivedNanos);
        HeldLease lease = new HeldLease(
                clientId,
                data,
                key,
                lockVersion,
                leaseMillis,
                HeldLease.deadline(stamped.getMtime(), leaseMillis),
                stamped.getCzxid(),
                HeldLease.localExpiry(receivedNanos, leaseMillis));
        held.put(resourceId, lease);
        return Acquisition.acquired(stamped.getCzxid());
    }

    /** Creates lock and key node; the key node's stamp (third result) gives token and time. */
    private ZooKeeperCalls.Reply create(String lock, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(lock, data),
                        client.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(key, EMPTY),
                        client.transactionOp().setData().forPath(key, EMPTY));
        ZooKeeperCalls.Reply reply =
                calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        if (reply.code() == Code.NONODE) {
            // Only the base path can be missing: create it once, then try again.
            ensureBasePath(deadline);
            reply = calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        }
        return reply;
    }

    private ZooKeeperCalls.Reply takeOver(
            String lock, int version, String oldKey, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp().delete().withVersion(version).forPath(lock),
                        client.transactionOp().delete().forPath(oldKey),
                        client.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(lock, data),
                        client.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(key, EMPTY),
                        client.transactionOp().setData().forPath(key, EMPTY));
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
        if (known != null) {
            ZooKeeperCalls.Reply reply = releaseAt(lock, known, deadline);
            held.remove(resourceId, known);
            if (reply.ok()) {
                return endedBeforeDeadline(reply, 1, known.deadlineMillis());
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
            HeldLease current = leaseRead(lock, clientId, fencingToken, read.event(), read.receivedNanos());
            if (current == null) {
                return false;
            }
            ZooKeeperCalls.Reply reply = releaseAt(lock, current, deadline);
            if (reply.ok()) {
                forget(resourceId, current.keyPath());
                return endedBeforeDeadline(reply, 1, current.deadlineMillis());
            }
            if (reply.maybeAppliedBefore()) {
                throw unknownOutcome("unlock", lock);
            }
        }
        throw new LockException(
                LockError.INTERNAL_ERROR,
                "unlock of " + ZooKeeperCalls.shorten(lock) + " gave up: the lock kept changing under it");
    }

    /** Deletes key and lock node; the rewrite of the lock node (second result) stamps the time. */
    private ZooKeeperCalls.Reply releaseAt(String lock, HeldLease lease, long deadline) {
        return calls.uninterruptibly(
                "release",
                lock,
                deadline,
                callback -> client.transaction()
                        .inBackground(callback)
                        .forOperations(
                                client.transactionOp().delete().forPath(lease.keyPath()),
                                client.transactionOp()
                                        .setData()
                                        .withVersion(lease.version())
                                        .forPath(lock, lease.data()),
                                client.transactionOp()
                                        .delete()
                                        .withVersion(lease.version() + 1)
                                        .forPath(lock)));
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
     * which restarts the lease at the leader's stamp of the write (H1); one round trip when this
     * backend knows the lease (H3); a lease already over is never revived (H2).
     */
    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        ensureOpen();
        long deadline = calls.deadline();
        String lock = paths.lockPath(resourceId);
        HeldLease known = known(resourceId, clientId, fencingToken);
        if (known != null) {
            if (certainlyOver(known.deadlineMillis())) {
                held.remove(resourceId, known);
                return false; // never revive an expired lease (H2); whoever comes next takes it over
            }
            ZooKeeperCalls.Reply reply = renewAt(lock, known, deadline);
            if (reply.ok()) {
                return renewed(resourceId, lock, known, true, resultStat(reply, 1), reply.receivedNanos(), deadline);
            }
            held.remove(resourceId, known);
            // Renewed elsewhere, lost, or taken over: find out from the node itself.
        }
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply read = read(lock, deadline, false);
            if (!read.ok()) {
                return false;
            }
            HeldLease current = leaseRead(lock, clientId, fencingToken, read.event(), read.receivedNanos());
            if (current == null || certainlyOver(current.deadlineMillis())) {
                return false;
            }
            ZooKeeperCalls.Reply reply = renewAt(lock, current, deadline);
            if (reply.ok()) {
                return renewed(resourceId, lock, current, false, resultStat(reply, 1), reply.receivedNanos(), deadline);
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
        return new AsyncRenewal(this, resourceId, clientId, fencingToken).start();
    }

    /** Checks the key node and rewrites the lock node; the rewrite (second result) stamps the time. */
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
     * Takes in a renewal the engine applied: it counts only if the leader stamped it before the
     * lease's end; otherwise it revived a lease already over, which is deleted again (H2).
     *
     * @param resourceId the resource
     * @param lock its lock node
     * @param renewedLease the lease as it was before the renewal
     * @param cached whether {@code renewedLease} came from {@link HeldLeases} (else from a read)
     * @param stamped the stat of the renewal's write
     * @param receivedNanos when the reply came
     * @param undoDeadline how long to wait for the undo of a revival, or {@code 0} not to wait
     * @return whether the lease is renewed
     */
    boolean renewed(
            String resourceId,
            String lock,
            HeldLease renewedLease,
            boolean cached,
            Stat stamped,
            long receivedNanos,
            long undoDeadline) {
        clock.observe(stamped.getMtime(), receivedNanos);
        if (stamped.getMtime() < renewedLease.deadlineMillis()) {
            HeldLease next = renewedLease.renewed(stamped.getVersion(), stamped.getMtime(), receivedNanos);
            if (cached) {
                held.replace(resourceId, renewedLease, next);
            } else {
                // Known from now on, so that the next heartbeat takes one round trip (H3).
                held.put(resourceId, next);
            }
            return true;
        }
        if (cached) {
            held.remove(resourceId, renewedLease);
        }
        undoRevival(lock, renewedLease.keyPath(), stamped.getVersion(), undoDeadline);
        return false;
    }

    /**
     * A renewal that reached the server after the lease had ended brought it back to life for a
     * moment; deleting it at once keeps anybody from waiting for it (H2). Best effort: if this
     * fails, the revived lease blocks others until it ends by itself.
     *
     * @param deadline how long to wait for the answer, or {@code 0} to send it without waiting
     */
    private void undoRevival(String lock, String key, int version, long deadline) {
        ZooKeeperCalls.Step step = callback -> client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp().delete().forPath(key),
                        client.transactionOp().delete().withVersion(version).forPath(lock));
        try {
            if (deadline == 0) {
                step.submit((curator, event) -> {});
            } else {
                calls.uninterruptibly("undo a late renewal of", lock, deadline, step);
            }
        } catch (Exception e) {
            // See above: the lease ends by itself.
        }
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
     * @return the lease, or {@code null} when another client or another acquisition holds it
     * @throws IllegalStateException if the node holds data DLM did not write
     */
    @Nullable
    HeldLease leaseRead(String lock, String clientId, long fencingToken, CuratorEvent read, long receivedNanos) {
        LockRecord current = LockRecord.decode(lock, read.getData());
        Stat stat = read.getStat();
        if (!current.clientId().equals(clientId)
                || (fencingToken != ANY_ACQUISITION && stat.getCzxid() != fencingToken)) {
            return null;
        }
        return new HeldLease(
                clientId,
                read.getData(),
                NodePaths.keyPath(lock, current.nonce()),
                stat.getVersion(),
                current.leaseMillis(),
                HeldLease.deadline(stat.getMtime(), current.leaseMillis()),
                stat.getCzxid(),
                HeldLease.localExpiry(receivedNanos, current.leaseMillis()));
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

    /** Reads the lock node: holder, token and remaining lease by the leader's clock (I1). */
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
        Stat stat = read.event().getStat();
        long remaining = remainingMillis(
                HeldLease.deadline(stat.getMtime(), current.leaseMillis()), current.leaseMillis(), deadline, false);
        if (remaining <= 0) {
            return Optional.empty();
        }
        return Optional.of(new LockInfo(resourceId, current.clientId(), stat.getCzxid(), Duration.ofMillis(remaining)));
    }

    /** One millisecond: the leader stamps writes in whole milliseconds (E1). */
    @Override
    public Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }

    // ---- time ---------------------------------------------------------------------------------

    /**
     * How long a lease has left by the leader's clock.
     *
     * @return milliseconds, at most the lease length; {@code 0} only once a stamp of the leader
     *     at or past {@code deadlineMillis} has been seen, so that a takeover is safe
     */
    private long remainingMillis(long deadlineMillis, long leaseMillis, long deadline, boolean interruptible) {
        if (clock.latestStamp() >= deadlineMillis) {
            return 0;
        }
        long now = System.nanoTime();
        long lowerBound = clock.lowerBound(now);
        if (lowerBound != Long.MIN_VALUE
                && lowerBound < deadlineMillis
                && clock.ageNanos(now) < CLOCK_SAMPLE_MAX_AGE_NANOS) {
            return Math.min(leaseMillis, deadlineMillis - lowerBound);
        }
        // Looks over, or we know too little: ask the leader for its time.
        long stamp = readLeaderTime(deadline, interruptible);
        return stamp >= deadlineMillis ? 0 : Math.min(leaseMillis, deadlineMillis - stamp);
    }

    /** Whether the lease has certainly ended, by what we know of the leader's clock, without asking. */
    boolean certainlyOver(long deadlineMillis) {
        long now = System.nanoTime();
        return clock.latestStamp() >= deadlineMillis
                || (clock.ageNanos(now) < CLOCK_SAMPLE_MAX_AGE_NANOS && clock.lowerBound(now) >= deadlineMillis);
    }

    /**
     * Writes the clock node to learn the leader's current time: its stamp is a time the leader's
     * clock has certainly reached, and it is no later than the stamp of any write we send after.
     */
    private long readLeaderTime(long deadline, boolean interruptible) {
        String path = paths.clockPath();
        ZooKeeperCalls.Step write =
                callback -> client.setData().inBackground(callback).forPath(path, EMPTY);
        for (int round = 0; round < MAX_ROUNDS; round++) {
            ZooKeeperCalls.Reply reply = interruptible
                    ? calls.interruptibly("read the time through", path, deadline, null, write)
                    : calls.uninterruptibly("read the time through", path, deadline, write);
            if (reply.ok()) {
                long stamp = reply.event().getStat().getMtime();
                clock.observe(stamp, reply.receivedNanos());
                return stamp;
            }
            ZooKeeperCalls.Step create = callback -> client.create()
                    .creatingParentsIfNeeded()
                    .withMode(CreateMode.PERSISTENT)
                    .inBackground(callback)
                    .forPath(path, EMPTY);
            if (interruptible) {
                calls.interruptibly("create", path, deadline, null, create);
            } else {
                calls.uninterruptibly("create", path, deadline, create);
            }
        }
        throw new LockException(LockError.INTERNAL_ERROR, "could not read the ZooKeeper leader's time through " + path);
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

    /** Whether the write at {@code index} of a release was stamped before the lease's end. */
    private boolean endedBeforeDeadline(ZooKeeperCalls.Reply reply, int index, long deadlineMillis) {
        Stat stamped = resultStat(reply, index);
        clock.observe(stamped.getMtime(), reply.receivedNanos());
        return stamped.getMtime() < deadlineMillis;
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
