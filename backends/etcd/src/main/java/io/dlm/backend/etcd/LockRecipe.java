package io.dlm.backend.etcd;

import static io.dlm.backend.etcd.EtcdCalls.first;
import static io.dlm.backend.etcd.EtcdCalls.firstOf;
import static io.dlm.backend.etcd.EtcdCalls.ownedBy;
import static io.dlm.backend.etcd.EtcdLockBackend.NANOS_PER_SECOND;
import static io.dlm.backend.etcd.LeasedLock.names;
import static io.dlm.spi.LockBackend.ANY_ACQUISITION;

import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

/**
 * The lock recipe: acquiring a lock and releasing it, each a transaction on the lock's key (L1,
 * L3, U1-U4, K4).
 *
 * <p>An acquisition creates the key only if it is absent, attached to a lease of its own, pooled
 * ({@link LeasePool}) or granted for it; otherwise it reports the holder and how long the holder's
 * lease has left. The key's create revision is the fencing token (F1). A release deletes exactly
 * the key incarnation it names, so no client ever deletes another's lock. An acquisition that
 * succeeded is kept in {@link Holdings}; one whose outcome is unknown leaves its lease to {@link
 * AcquisitionUndo} (X5).
 */
final class LockRecipe {

    private static final System.Logger LOG = EtcdLockBackend.LOG;

    /** When a holder's lease is already gone, its key goes with it: look again soon, not at once. */
    private static final long GONE_LEASE_RECHECK_NANOS = 100_000_000L;

    private final EtcdCalls etcd;
    private final LockKeys keys;
    private final NamespaceRegistry registry;
    private final LeasePool pool;
    private final Holdings holdings;
    private final AcquisitionUndo undos;

    /** etcd's minimum lease TTL, learnt at open; the runtime rounds leases up to it (E1). */
    private final Duration granularity;

    /** Whether {@link #warnOfLongerLease} has spoken; once per backend is enough. */
    private final AtomicBoolean warnedOfLongerLease = new AtomicBoolean();

    LockRecipe(
            EtcdCalls etcd,
            LockKeys keys,
            NamespaceRegistry registry,
            LeasePool pool,
            Holdings holdings,
            AcquisitionUndo undos,
            Duration granularity) {
        this.etcd = etcd;
        this.keys = keys;
        this.registry = registry;
        this.pool = pool;
        this.holdings = holdings;
        this.undos = undos;
        this.granularity = granularity;
    }

    /**
     * Acquires a lock, as {@link io.dlm.spi.LockBackend#acquire} asks.
     *
     * <p>Times here are {@link System#nanoTime()}, not the runtime's ticker: they estimate how long
     * etcd's leases live, which etcd measures in real time whatever a test's ticker says.
     */
    Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        long ttl = ttlSeconds(leaseNanos);
        OperationBudget budget = etcd.budget();
        // Once per manager: its namespace must not nest with another manager's (V1).
        registry.check(budget);
        Attempt tried = new Attempt(resourceId, clientId, attempt);
        ByteSequence key = keys.key(resourceId);
        IdleLease pooled = pool.take(ttl, System.nanoTime());
        if (pooled != null) {
            Acquisition done = acquireWithPooledLease(budget, tried, key, ttl, pooled);
            if (done != null) {
                return done;
            }
        }
        return acquireWithNewLease(budget, tried, key, ttl);
    }

    /**
     * Sends the transaction and the lease's keep-alive together.
     *
     * <p><b>The lock lasts its whole lease from the call (K2).</b> The runtime counts the lock's
     * local deadline from the moment {@link #acquire} was called, but a pooled lease was granted or
     * last refreshed before that, and the pool only promises it half its TTL. The keep-alive sent
     * alongside resets the lease to its full TTL (at least the requested one) when the leader
     * handles it, which is after the call; and the acquisition is reported only once that
     * keep-alive's answer confirmed it. So etcd keeps the key until at least call time plus the
     * lease, whichever of the two requests the leader handled first, and the uncontended acquire
     * stays one round trip. A lease that died before the keep-alive came is answered "not found":
     * then the key is gone with it (or the put was refused), and a fresh lease is granted.
     *
     * @return the outcome, or {@code null} when the pooled lease turned out to be gone (it expired
     *     unused, or right after the put, taking the key with it): the caller grants a new one
     */
    private @Nullable Acquisition acquireWithPooledLease(
            OperationBudget budget, Attempt tried, ByteSequence key, long ttl, IdleLease lease) {
        long sent = System.nanoTime();
        CompletableFuture<Long> refresh;
        TxnResponse response;
        try {
            CompletableFuture<TxnResponse> txn = createIfAbsent(key, tried, lease.id(), lease.ttlSeconds());
            // On the client's open keep-alive stream: one message each way, no stream set up per lock.
            refresh = etcd.client.keepAliveOnce(lease.id());
            response = budget.await(txn, "acquire '" + tried.resourceId() + "'");
        } catch (RuntimeException e) {
            if (OperationBudget.isLeaseNotFound(e)) {
                return null; // etcd refused the put with the lease: nothing was written
            }
            throw undos.unsettled(tried, lease.id(), e);
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
            return held(budget, response, tried.clientId());
        }
        try {
            budget.await(refresh, "refresh the lease of '" + tried.resourceId() + "'");
        } catch (RuntimeException e) {
            if (OperationBudget.isLeaseNotFound(e)) {
                // The lease ran out between our estimate and the put; its revocation deleted the key.
                return null;
            }
            throw undos.unsettled(tried, lease.id(), e);
        }
        return keep(tried, new LeasedLock(lease.id(), lease.ttlSeconds(), revision(response), tried.id(), sent));
    }

    /**
     * Grants a lease, then sends the transaction. The grant is sent after the call, so the lease
     * outlives call time plus its TTL (K2).
     */
    private Acquisition acquireWithNewLease(OperationBudget budget, Attempt tried, ByteSequence key, long ttl) {
        long sent = System.nanoTime();
        // A grant that fails leaves at worst an empty lease, which expires by its TTL: no key was sent.
        LeaseGrantResponse grant =
                budget.await(etcd.leases().grant(ttl), "grant a lease for '" + tried.resourceId() + "'");
        if (grant.getTTL() > ttl) {
            warnOfLongerLease(ttl, grant.getTTL());
        }
        IdleLease lease = new IdleLease(grant.getID(), grant.getTTL(), 0).refreshedAt(sent);
        TxnResponse response;
        try {
            response = budget.await(
                    createIfAbsent(key, tried, lease.id(), lease.ttlSeconds()), "acquire '" + tried.resourceId() + "'");
        } catch (RuntimeException e) {
            throw undos.unsettled(tried, lease.id(), e);
        }
        if (!response.isSucceeded()) {
            pool.offer(ttl, lease, System.nanoTime());
            return held(budget, response, tried.clientId());
        }
        return keep(tried, new LeasedLock(lease.id(), lease.ttlSeconds(), revision(response), tried.id(), sent));
    }

    /**
     * Puts the key with the lease if it is absent, else reads it; as a plain gRPC call where it can
     * be ({@link DirectTransactions}), so only wait for the answer.
     */
    private CompletableFuture<TxnResponse> createIfAbsent(ByteSequence key, Attempt tried, long leaseId, long ttl) {
        ByteSequence value = LockKeys.value(ttl, tried.id(), tried.clientId());
        CompletableFuture<TxnResponse> direct =
                etcd.client.transactDirectly(DirectTransactions.createIfAbsent(key, value, leaseId));
        if (direct != null) {
            return direct;
        }
        return etcd.kv()
                .txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(
                        key, value, PutOption.builder().withLeaseId(leaseId).build()))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    private Acquisition keep(Attempt tried, LeasedLock holding) {
        holdings.keep(tried, holding);
        return Acquisition.acquired(holding.token);
    }

    /**
     * The lock is another's (or the caller's, L3): how long the holder's lease has left, which is
     * when the runtime's waiter looks again at the latest (E2, N4). A waiter whose notification
     * was lost must not sleep the holder's whole TTL when the lease is almost over.
     */
    private Acquisition held(OperationBudget budget, TxnResponse response, String clientId) {
        KeyValue current = firstOf(response.getGetResponses());
        if (current == null) {
            // Cannot happen (the compare saw the key in the same revision); make the runtime retry.
            return Acquisition.held(0);
        }
        LockKeys.Holder holder = LockKeys.holder(current.getValue());
        long remaining = remainingNanos(budget, current.getLease(), holder.ttlSeconds());
        return holder.clientId().equals(clientId) ? Acquisition.heldByCaller(remaining) : Acquisition.held(remaining);
    }

    /**
     * What etcd says a lease has left, rounded up to the next whole second (etcd truncates), within
     * what is left of the operation's budget; when etcd cannot say in time, the lease's whole TTL
     * as the key's value records it, an upper bound. A lease etcd reports gone takes its key with
     * it at once; one at 0 s is revoked by the leader's next expiry check, about 500 ms later.
     */
    private long remainingNanos(OperationBudget budget, long leaseId, long ttlSeconds) {
        LeaseTimeToLiveResponse ttl;
        try {
            ttl = budget.await(etcd.leases().timeToLive(leaseId, LeaseOption.DEFAULT), "read the holder's lease");
        } catch (LockException e) {
            return saturatedNanos(ttlSeconds);
        }
        if (ttl.getTTL() < 0) {
            return GONE_LEASE_RECHECK_NANOS;
        }
        return saturatedNanos(Math.min(ttl.getTTL(), ttlSeconds) + 1);
    }

    /**
     * The revision of a successful acquisition: a transaction with a write moves the store to a
     * new revision, and every key it creates gets that revision as its create revision.
     */
    private static long revision(TxnResponse response) {
        return response.getHeader().getRevision();
    }

    /** Releases a lock, as {@link io.dlm.spi.LockBackend#release} asks. */
    boolean release(String resourceId, String clientId, long fencingToken) {
        OperationBudget budget = etcd.budget();
        ByteSequence key = keys.key(resourceId);
        LeasedLock.Key holdingKey = new LeasedLock.Key(resourceId, clientId);
        LeasedLock holding = holdings.get(holdingKey);
        KeyValue current;
        if (holding != null && holding.isNamedBy(fencingToken)) {
            TxnResponse response =
                    budget.await(etcd.deleteIfIncarnation(key, holding.token), "release '" + resourceId + "'");
            if (response.isSucceeded()) {
                if (holdings.remove(holdingKey, holding)) {
                    pool.offer(holding.ttlSeconds, holding.idle(), System.nanoTime());
                }
                return true;
            }
            holdings.forget(resourceId, holdingKey, holding);
            if (fencingToken != ANY_ACQUISITION) {
                return false; // the named acquisition is the one that just proved gone
            }
            current = firstOf(response.getGetResponses());
        } else {
            // No holding, or one of another acquisition than the caller names: a later one of the
            // same client is left alone (K4), unless the key shows that the named one is live.
            current = first(budget.await(etcd.kv().get(key), "read '" + resourceId + "'")
                    .getKvs());
        }
        if (current == null || !ownedBy(current, clientId) || !names(fencingToken, current.getCreateRevision())) {
            return false;
        }
        // The client's lock, taken through another manager: delete exactly that incarnation.
        TxnResponse response = budget.await(
                etcd.deleteIfIncarnation(key, current.getCreateRevision()), "release '" + resourceId + "'");
        if (!response.isSucceeded()) {
            return false;
        }
        // With its key gone, the manager that took the lock can never pool that lease, so revoking
        // it is safe; it makes that manager's heartbeats, which trust the lease, see the release.
        try {
            budget.await(etcd.leases().revoke(current.getLease()), "revoke the lease of '" + resourceId + "'");
        } catch (LockException e) {
            etcd.revokeQuietly(current.getLease()); // released all the same; the lease expires at worst
        }
        return true;
    }

    /**
     * etcd granted more than the granularity declared at open lets the runtime ask for: the
     * minimum learnt then was wrong (assumed without an answer, given by a member with other
     * timings than the leader's, or changed by a restart since). The lock lasts the longer lease,
     * which is safe, but ends later than the runtime reports (E2), so an operator should know.
     */
    private void warnOfLongerLease(long asked, long granted) {
        if (warnedOfLongerLease.compareAndSet(false, true)) {
            LOG.log(
                    Level.WARNING,
                    "etcd granted a lease of {0} s where {1} s was asked for (the minimum lease TTL learnt when"
                            + " this manager opened is {2} s), so locks end later than it reports. Give every"
                            + " member the same --election-timeout and --heartbeat-interval, and reopen the manager.",
                    granted,
                    asked,
                    granularity.toSeconds());
        }
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
