package io.dlm.backend.etcd;

import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.WatchingLockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Lease;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Locks as etcd keys, each attached to a lease of its own.
 *
 * <p>The engine steps, and what each costs in round trips (RTT):
 *
 * <ul>
 *   <li><b>acquire</b>: one transaction, {@code if createRevision(key) == 0 then put(key, ttl:client,
 *       lease) else get(key)}, so it takes a free key and reports the holder of a taken one in one
 *       step (L1, L3). The lease comes from the {@link LeasePool} and a keep-alive resetting its TTL
 *       is sent alongside the transaction: 1 RTT. Without a pooled lease, a grant comes first:
 *       2 RTT. The fencing token is the key's create revision, etcd's cluster-wide revision
 *       counter, which only grows and is persisted by the cluster (F1).
 *   <li><b>release</b>: {@code if createRevision(key) == token then delete(key) else get(key)}:
 *       1 RTT. Only the incarnation this client created can match, so no client ever deletes
 *       another's lock, and a retry after a failure never deletes a later holder's (U2, U4). The
 *       lease goes back to the pool.
 *   <li><b>renew</b>: a keep-alive of the lock's lease: 1 RTT (H3). The lease is the proof of
 *       ownership (see below); an expired lease cannot be revived by etcd (H2).
 *   <li><b>inspect</b>: the key, then its lease's time to live: 2 RTT (I1).
 *   <li><b>watch</b>: an etcd watch on the key's deletions (L4, L5), see {@link KeyWatch}.
 * </ul>
 *
 * <p>Expiry is etcd's: the leader counts lease TTLs on its own clock and deletes the key by a
 * replicated revocation (E2, E3). TTLs are whole seconds; a lease is rounded up (E1).
 *
 * <p>This class also keeps, per lock it acquired, a {@link Holding} that names its lease and
 * token. It lets release and renew skip a read; whenever etcd disagrees with it, etcd wins and a
 * client's lock found through another manager (same client id) is handled from the key alone.
 *
 * <p><b>Why a keep-alive alone proves ownership.</b> A holding's lease carries that lock's key and
 * no other, and every way the key can end also ends the lease or the holding: expiry ends both at
 * once; a release through this manager deletes the key and removes the holding before the lease
 * is pooled, so a later renew finds no holding; a release through another manager (same client id)
 * deletes the key and then revokes its lease, which is safe because this manager pools a lease
 * only after deleting that very key itself. So while the holding exists, a live lease means a live
 * lock of this client. The one way around it is deleting the key by hand; operators revoke the
 * lease instead (see the docs).
 */
final class EtcdLockBackend implements WatchingLockBackend {

    static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Idle leases kept at most; enough for every thread of a busy process to find one. */
    private static final int POOL_CAPACITY = 256;

    private static final int MIN_SWEEP_THRESHOLD = 4_096;

    /** How long past its local deadline a holding is kept, for leases a leader change extended. */
    private static final long SWEEP_GRACE_NANOS = 10 * NANOS_PER_SECOND;

    private final Client client;
    private final KV kv;
    private final Lease leases;
    private final io.etcd.jetcd.Watch watches;
    private final ExecutorService executor;
    private final LockKeys keys;
    private final Duration operationTimeout;
    private final LeasePool pool;
    private final ConcurrentHashMap<Holding.Key, Holding> holdings = new ConcurrentHashMap<>();

    /** Above this many holdings, an acquisition first drops the expired ones. */
    private volatile int sweepAbove = MIN_SWEEP_THRESHOLD;

    EtcdLockBackend(Client client, ExecutorService executor, LockKeys keys, Duration operationTimeout) {
        this.client = client;
        this.kv = client.getKVClient();
        this.leases = client.getLeaseClient();
        this.watches = client.getWatchClient();
        this.executor = executor;
        this.keys = keys;
        this.operationTimeout = operationTimeout;
        this.pool = new LeasePool(POOL_CAPACITY, this::revokeQuietly);
    }

    // ---- acquire --------------------------------------------------------------------------------

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos) {
        long ttl = ttlSeconds(leaseNanos);
        OperationBudget budget = OperationBudget.start(operationTimeout);
        ByteSequence key = keys.key(resourceId);
        IdleLease pooled = pool.take(ttl, System.nanoTime());
        if (pooled != null) {
            Acquisition done = acquireWithPooledLease(budget, resourceId, clientId, key, ttl, pooled);
            if (done != null) {
                return done;
            }
        }
        return acquireWithNewLease(budget, resourceId, clientId, key, ttl);
    }

    /**
     * Sends the transaction and the lease's keep-alive together.
     *
     * @return the outcome, or {@code null} when the pooled lease turned out to be gone (it expired
     *     unused, or right after the put, taking the key with it): the caller grants a new one
     */
    private @Nullable Acquisition acquireWithPooledLease(
            OperationBudget budget, String resourceId, String clientId, ByteSequence key, long ttl, IdleLease lease) {
        long sent = System.nanoTime();
        CompletableFuture<TxnResponse> txn = createIfAbsent(key, clientId, lease.id(), lease.ttlSeconds());
        CompletableFuture<LeaseKeepAliveResponse> refresh = leases.keepAliveOnce(lease.id());
        TxnResponse response;
        try {
            response = budget.await(txn, "acquire '" + resourceId + "'");
        } catch (LockException e) {
            if (e.getCause() != null && OperationBudget.isLeaseNotFound(e.getCause())) {
                return null;
            }
            // The put may still be applied: revoking the lease deletes whatever it carries (X4).
            revokeQuietly(lease.id());
            throw e;
        }
        if (!response.isSucceeded()) {
            // Back to the pool once the keep-alive says how long it lives; if it died, forget it.
            refresh.whenComplete((answer, failure) -> {
                if (failure == null) {
                    pool.offer(ttl, lease.refreshedAt(sent), System.nanoTime());
                } else if (!OperationBudget.isLeaseNotFound(failure)) {
                    pool.offer(ttl, lease, System.nanoTime());
                }
            });
            return held(response, clientId);
        }
        try {
            budget.await(refresh, "refresh the lease of '" + resourceId + "'");
        } catch (LockException e) {
            if (e.getCause() != null && OperationBudget.isLeaseNotFound(e.getCause())) {
                // The lease ran out between our estimate and the put; its revocation deleted the key.
                return null;
            }
            revokeQuietly(lease.id());
            throw e;
        }
        return keep(resourceId, clientId, new Holding(lease.id(), lease.ttlSeconds(), revision(response), sent));
    }

    private Acquisition acquireWithNewLease(
            OperationBudget budget, String resourceId, String clientId, ByteSequence key, long ttl) {
        long sent = System.nanoTime();
        LeaseGrantResponse grant = budget.await(leases.grant(ttl), "grant a lease for '" + resourceId + "'");
        IdleLease lease = new IdleLease(grant.getID(), grant.getTTL(), 0).refreshedAt(sent);
        TxnResponse response;
        try {
            response = budget.await(
                    createIfAbsent(key, clientId, lease.id(), lease.ttlSeconds()), "acquire '" + resourceId + "'");
        } catch (LockException e) {
            revokeQuietly(lease.id());
            throw e;
        }
        if (!response.isSucceeded()) {
            pool.offer(ttl, lease, System.nanoTime());
            return held(response, clientId);
        }
        return keep(resourceId, clientId, new Holding(lease.id(), lease.ttlSeconds(), revision(response), sent));
    }

    private CompletableFuture<TxnResponse> createIfAbsent(ByteSequence key, String clientId, long leaseId, long ttl) {
        return kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(
                        key,
                        LockKeys.value(ttl, clientId),
                        PutOption.builder().withLeaseId(leaseId).build()))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    private Acquisition keep(String resourceId, String clientId, Holding holding) {
        Holding replaced = holdings.put(new Holding.Key(resourceId, clientId), holding);
        if (replaced != null) {
            // A lock of ours that ended unnoticed (expired, or released elsewhere); its lease is ours.
            revokeQuietly(replaced.leaseId);
        }
        if (holdings.size() > sweepAbove) {
            sweepExpiredHoldings();
        }
        return Acquisition.acquired(holding.token);
    }

    /**
     * Forgets holdings whose lease has surely run out, so that locks left to expire (never released)
     * do not pile up in memory. The threshold doubles with the live count, so the sweeps cost O(1)
     * per acquisition on average. A holding is only a cache: if one is dropped while its lock still
     * lives (a leader change extended the lease), release and renew find the lock from its key.
     */
    private void sweepExpiredHoldings() {
        long now = System.nanoTime();
        holdings.values().removeIf(held -> now - held.liveUntilNanos() > SWEEP_GRACE_NANOS);
        sweepAbove = Math.max(MIN_SWEEP_THRESHOLD, 2 * holdings.size());
    }

    private static Acquisition held(TxnResponse response, String clientId) {
        KeyValue current = firstOf(response.getGetResponses());
        if (current == null) {
            // Cannot happen (the compare saw the key in the same revision); make the runtime retry.
            return Acquisition.held(0);
        }
        LockKeys.Holder holder = LockKeys.holder(current.getValue());
        long remaining = saturatedNanos(holder.ttlSeconds());
        return holder.clientId().equals(clientId) ? Acquisition.heldByCaller(remaining) : Acquisition.held(remaining);
    }

    /**
     * The revision of a successful acquisition: a transaction with a write moves the store to a
     * new revision, and every key it creates gets that revision as its create revision.
     */
    private static long revision(TxnResponse response) {
        return response.getHeader().getRevision();
    }

    // ---- release --------------------------------------------------------------------------------

    @Override
    public boolean release(String resourceId, String clientId) {
        OperationBudget budget = OperationBudget.start(operationTimeout);
        ByteSequence key = keys.key(resourceId);
        Holding.Key holdingKey = new Holding.Key(resourceId, clientId);
        Holding holding = holdings.get(holdingKey);
        KeyValue current;
        if (holding != null) {
            TxnResponse response =
                    budget.await(deleteIfIncarnation(key, holding.token), "release '" + resourceId + "'");
            if (response.isSucceeded()) {
                if (holdings.remove(holdingKey, holding)) {
                    pool.offer(holding.ttlSeconds, holding.idle(), System.nanoTime());
                }
                return true;
            }
            forget(holdingKey, holding);
            current = firstOf(response.getGetResponses());
        } else {
            current =
                    first(budget.await(kv.get(key), "read '" + resourceId + "'").getKvs());
        }
        if (current == null || !ownedBy(current, clientId)) {
            return false;
        }
        // The client's lock, taken through another manager: delete exactly that incarnation.
        TxnResponse response =
                budget.await(deleteIfIncarnation(key, current.getCreateRevision()), "release '" + resourceId + "'");
        if (!response.isSucceeded()) {
            return false;
        }
        // With its key gone, the manager that took the lock can never pool that lease, so revoking
        // it is safe; it makes that manager's heartbeats, which trust the lease, see the release.
        try {
            budget.await(leases.revoke(current.getLease()), "revoke the lease of '" + resourceId + "'");
        } catch (LockException e) {
            revokeQuietly(current.getLease()); // released all the same; the lease expires at worst
        }
        return true;
    }

    private CompletableFuture<TxnResponse> deleteIfIncarnation(ByteSequence key, long createRevision) {
        return kv.txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    // ---- renew ----------------------------------------------------------------------------------

    @Override
    public boolean renew(String resourceId, String clientId) {
        OperationBudget budget = OperationBudget.start(operationTimeout);
        Holding.Key holdingKey = new Holding.Key(resourceId, clientId);
        Holding holding = holdings.get(holdingKey);
        if (holding != null) {
            // The lease is the proof of ownership: it carries this lock's key and nothing else, and
            // every way the key ends also ends the lease or this holding (see the class comment).
            long sent = System.nanoTime();
            if (keptAlive(budget, leases.keepAliveOnce(holding.leaseId), resourceId)) {
                holding.refreshedAt(sent);
                return true;
            }
            holdings.remove(holdingKey, holding); // its lease is gone; nothing to revoke
        }
        KeyValue current = first(budget.await(kv.get(keys.key(resourceId)), "read '" + resourceId + "'")
                .getKvs());
        if (current == null || !ownedBy(current, clientId)) {
            return false;
        }
        // The client's lock, taken through another manager: its lease is named by the key.
        return keptAlive(budget, leases.keepAliveOnce(current.getLease()), resourceId);
    }

    private static boolean keptAlive(
            OperationBudget budget, CompletableFuture<LeaseKeepAliveResponse> refresh, String resourceId) {
        try {
            return budget.await(refresh, "refresh the lease of '" + resourceId + "'")
                            .getTTL()
                    > 0;
        } catch (LockException e) {
            if (e.getCause() != null && OperationBudget.isLeaseNotFound(e.getCause())) {
                return false;
            }
            throw e;
        }
    }

    // ---- inspect --------------------------------------------------------------------------------

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        OperationBudget budget = OperationBudget.start(operationTimeout);
        KeyValue current = first(budget.await(kv.get(keys.key(resourceId)), "read '" + resourceId + "'")
                .getKvs());
        if (current == null) {
            return Optional.empty();
        }
        LockKeys.Holder holder = LockKeys.holder(current.getValue());
        LeaseTimeToLiveResponse ttl = budget.await(
                leases.timeToLive(current.getLease(), LeaseOption.DEFAULT), "read the lease of '" + resourceId + "'");
        if (ttl.getTTL() < 0) {
            return Optional.empty(); // expired between the two reads
        }
        // etcd truncates the remaining time to whole seconds; the truth lies within the next second.
        long remainingSeconds = Math.min(ttl.getTTL() + 1, Math.max(ttl.getGrantedTTL(), 1));
        return Optional.of(new LockInfo(
                resourceId, holder.clientId(), current.getCreateRevision(), Duration.ofSeconds(remainingSeconds)));
    }

    // ---- watch ----------------------------------------------------------------------------------

    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return KeyWatch.open(watches, keys.key(resourceId), onMaybeFree, OperationBudget.start(operationTimeout));
    }

    @Override
    public Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }

    // ---- close ----------------------------------------------------------------------------------

    @Override
    public void close() {
        // Revoking a lock's lease deletes its key in the same step; pooled leases carry no key.
        List<CompletableFuture<?>> revocations = new ArrayList<>();
        for (Holding.Key key : List.copyOf(holdings.keySet())) {
            Holding holding = holdings.remove(key);
            if (holding != null) {
                revocations.add(leases.revoke(holding.leaseId));
            }
        }
        for (long id : pool.drain()) {
            revocations.add(leases.revoke(id));
        }
        try {
            CompletableFuture.allOf(revocations.toArray(CompletableFuture[]::new))
                    .get(operationTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Best effort (C1): what could not be revoked expires by its TTL.
        }
        client.close();
        executor.shutdownNow();
        try {
            executor.awaitTermination(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- helpers --------------------------------------------------------------------------------

    /** Drops a holding that etcd contradicts; whoever removes it owns its lease and revokes it. */
    private void forget(Holding.Key holdingKey, Holding holding) {
        if (holdings.remove(holdingKey, holding)) {
            revokeQuietly(holding.leaseId);
        }
    }

    private void revokeQuietly(long leaseId) {
        // A lease that is already gone answers "not found"; anything else expires by its TTL.
        leases.revoke(leaseId).exceptionally(failure -> null);
    }

    private static boolean ownedBy(KeyValue current, String clientId) {
        return LockKeys.holder(current.getValue()).clientId().equals(clientId);
    }

    private static @Nullable KeyValue firstOf(List<GetResponse> responses) {
        return responses.isEmpty() ? null : first(responses.get(0).getKvs());
    }

    private static @Nullable KeyValue first(List<KeyValue> values) {
        return values.isEmpty() ? null : values.get(0);
    }

    /** A lease in whole seconds, rounded up, never down (E1). */
    static long ttlSeconds(long leaseNanos) {
        long seconds = leaseNanos / NANOS_PER_SECOND;
        return leaseNanos % NANOS_PER_SECOND == 0 ? Math.max(seconds, 1) : seconds + 1;
    }

    private static long saturatedNanos(long seconds) {
        return seconds >= Long.MAX_VALUE / NANOS_PER_SECOND ? Long.MAX_VALUE : seconds * NANOS_PER_SECOND;
    }
}
