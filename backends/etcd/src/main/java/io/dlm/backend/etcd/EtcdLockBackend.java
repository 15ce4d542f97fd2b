package io.dlm.backend.etcd;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.ReplyWait;
import io.dlm.spi.WatchingLockBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Locks as etcd keys, each attached to a lease of its own.
 *
 * <p>The engine steps, and what each costs in round trips (RTT):
 *
 * <ul>
 *   <li><b>acquire</b>: one transaction, {@code if createRevision(key) == 0 then put(key,
 *       ttl:attempt:client, lease) else get(key)}, so it takes a free key and reports the holder of
 *       a taken one in one step (L1, L3). The lease comes from the {@link LeasePool} and a
 *       keep-alive resetting its TTL is sent alongside the transaction, as one message on the
 *       client's open keep-alive stream ({@link KeepAliveStream}): 1 RTT. Without a pooled
 *       lease, a grant comes first: 2 RTT. The fencing token is the key's create revision, etcd's
 *       cluster-wide revision counter, which only grows and is persisted by the cluster (F1). A
 *       lock found taken costs one more RTT: the holder's lease's time to live, so that a waiter
 *       whose notification was lost looks again when that lease ends, not a whole TTL later (N4).
 *       Before its first acquisition, a manager registers its namespace and checks that it nests
 *       with no other ({@link NamespaceRegistry}): 1 RTT, once. See {@link LockRecipe}.
 *   <li><b>release</b>: {@code if createRevision(key) == token then delete(key) else get(key)}:
 *       1 RTT. Only the incarnation this client created can match, so no client ever deletes
 *       another's lock, and a retry after a failure never deletes a later holder's (U2, U4). A
 *       runtime {@code Lease} names its own incarnation by its token (K4). The lease goes back to
 *       the pool ({@link LockRecipe#release}).
 *   <li><b>renew</b>: a keep-alive of the lock's lease, and alongside it a serializable read of
 *       the key that the member serves locally: 1 RTT (H3); the runtime's keep-alive ({@link
 *       Renewals#renewAsync}, K1) reads the key only once per lease length, after the
 *       keep-alive. The lease is the proof of ownership (see {@link Renewals}); an expired lease
 *       cannot be revived by etcd (H2). A lease etcd no longer knows, or a key incarnation the
 *       member no longer has, is reported lost (K3).
 *   <li><b>undo</b> (X5): revokes the lease of an acquisition whose outcome is unknown, which
 *       undoes its put whether etcd applies it before or after; or deletes a key whose value names
 *       the attempt: 1 RTT, only after a failure ({@link AcquisitionUndo}).
 *   <li><b>inspect</b>: the key, then its lease's time to live: 2 RTT (I1, {@link
 *       AdminOperations#inspect}).
 *   <li><b>watch</b>: an etcd watch on the key's deletions (L4, L5), see {@link KeyWatch}.
 *   <li><b>list</b> (O4): range reads of the namespace's keys from the prefix's bytes, in pages,
 *       each with its leases' times to live, within one operation timeout ({@link
 *       AdminOperations#list}).
 *   <li><b>forceRelease</b> (O4): the key, then a delete of exactly that incarnation, then a
 *       revocation of its lease: 3 RTT ({@link AdminOperations#forceRelease}).
 * </ul>
 *
 * <p>Expiry is etcd's: the leader counts lease TTLs on its own clock and deletes the key by a
 * replicated revocation (E2, E3). TTLs are whole seconds and no shorter than etcd's minimum, which
 * the backend learns when it opens ({@link MinimumTtl}) and declares as its granularity, so that
 * the runtime rounds every lease up to a multiple of it (E1).
 *
 * <p>This class is the backend's face: it implements the SPI by handing each call to the part
 * that does that job, and owns their lifecycle. The parts are {@link LockRecipe} (acquire,
 * release), {@link AcquisitionUndo} (undo, X5), {@link Renewals} (renew, the runtime's keep-alive)
 * and {@link AdminOperations} (inspect, list, forced release), over {@link Holdings} (the locks
 * this instance acquired) and {@link EtcdCalls} (the client and each operation's budget).
 *
 * <p><b>Which leases this instance owns</b>, and so revokes on {@link #close}: those of its
 * holdings ({@link Holdings}), the idle ones in the pool, those of unsettled acquisitions (failed
 * with an unknown outcome, not undone yet) and those of undone ones whose revocation etcd has not
 * confirmed yet (both in {@link AcquisitionUndo}). Each lease is in at most one of these, moved by
 * whichever thread removed it from another, so none is pooled and revoked, or pooled twice.
 */
final class EtcdLockBackend
        implements WatchingLockBackend, AsyncLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Idle leases kept at most; enough for every thread of a busy process to find one. */
    private static final int POOL_CAPACITY = 256;

    /** The backend's logger, which its parts log through: operators configure it by this name. */
    static final System.Logger LOG = System.getLogger(EtcdLockBackend.class.getName());

    private final ReplaceableClient client;
    private final ExecutorService executor;
    private final LockKeys keys;
    private final Duration operationTimeout;
    private final EtcdCalls etcd;
    private final LeasePool pool;

    /** etcd's minimum lease TTL, learnt at open; the runtime rounds leases up to it (E1). */
    private final Duration granularity;

    private final Holdings holdings;
    private final AcquisitionUndo undos;
    private final LockRecipe recipe;
    private final Renewals renewals;
    private final AdminOperations admin;

    EtcdLockBackend(
            ReplaceableClient client,
            ExecutorService executor,
            LockKeys keys,
            String namespace,
            Duration operationTimeout,
            LeaseLossListener losses) {
        this.client = client;
        this.executor = executor;
        this.keys = keys;
        NamespaceRegistry registry = new NamespaceRegistry(namespace, client::kv);
        this.operationTimeout = operationTimeout;
        this.etcd = new EtcdCalls(client, operationTimeout);
        this.pool = new LeasePool(POOL_CAPACITY, etcd::revokeQuietly);
        this.holdings = new Holdings(etcd, losses);
        this.undos = new AcquisitionUndo(etcd, keys, pool, holdings, executor);
        // Asked now, because the runtime reads the granularity once, when it opens (E1).
        this.granularity = MinimumTtl.learn(client.leases(), etcd.budget());
        this.recipe = new LockRecipe(etcd, keys, registry, pool, holdings, undos, granularity);
        this.renewals = new Renewals(etcd, keys, holdings, losses);
        this.admin = new AdminOperations(etcd, keys, registry);
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        return recipe.acquire(resourceId, clientId, leaseNanos, attempt);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        return recipe.release(resourceId, clientId, fencingToken);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return renewals.renew(resourceId, clientId, fencingToken);
    }

    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        return renewals.renewAsync(resourceId, clientId, fencingToken);
    }

    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        undos.undo(resourceId, clientId, attempt);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return admin.inspect(resourceId);
    }

    @Override
    public List<LockInfo> list(String prefix, int limit) {
        return admin.list(prefix, limit);
    }

    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        return admin.forceRelease(resourceId);
    }

    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return client.watch(
                watches -> KeyWatch.open(watches, keys.key(resourceId), onMaybeFree, etcd.budget(), executor));
    }

    /**
     * {@inheritDoc}
     *
     * <p>etcd's minimum lease TTL, as the cluster told it when this backend opened ({@link
     * MinimumTtl}): 2 s with etcd's default timings, 1 s with elections up to about 666 ms. TTLs
     * are whole seconds, so never less than 1 s.
     */
    @Override
    public Duration leaseGranularity() {
        return granularity;
    }

    @Override
    public void close() {
        undos.close();
        // Revoking a lock's lease deletes its key in the same step (an unsettled acquisition's, too,
        // or makes its late put fail); pooled leases carry no key.
        List<CompletableFuture<?>> revocations = new ArrayList<>();
        holdings.revokeAll(revocations);
        undos.revokeAll(revocations);
        for (long id : pool.drain()) {
            revocations.add(etcd.leases().revoke(id));
        }
        // Best effort (C1), also from an interrupted thread: what is not revoked within the
        // operation timeout expires by its TTL.
        ReplyWait.awaitUninterruptibly(
                CompletableFuture.allOf(revocations.toArray(CompletableFuture[]::new)),
                System.nanoTime() + operationTimeout.toNanos());
        client.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
