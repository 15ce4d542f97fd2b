package io.dlm.backend.etcd;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BreakingLockBackend;
import io.dlm.spi.EnumeratingLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.WatchingLockBackend;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.lease.LeaseGrantResponse;
import io.etcd.jetcd.lease.LeaseTimeToLiveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.OptionsUtil;
import io.etcd.jetcd.options.PutOption;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;

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
 *       with no other ({@link NamespaceRegistry}): 1 RTT, once.
 *   <li><b>release</b>: {@code if createRevision(key) == token then delete(key) else get(key)}:
 *       1 RTT. Only the incarnation this client created can match, so no client ever deletes
 *       another's lock, and a retry after a failure never deletes a later holder's (U2, U4). A
 *       runtime {@code Lease} names its own incarnation by its token (K4). The lease goes back to
 *       the pool.
 *   <li><b>renew</b>: a keep-alive of the lock's lease, and alongside it a serializable read of
 *       the key that the member serves locally: 1 RTT (H3); the runtime's keep-alive ({@link
 *       #renewAsync}, K1) reads the key only once per lease length, after the keep-alive. The
 *       lease is the proof of ownership (see below); an expired lease cannot be revived by etcd
 *       (H2). A lease etcd no longer knows, or a key incarnation the
 *       member no longer has, is reported lost (K3).
 *   <li><b>undo</b> (X5): revokes the lease of an acquisition whose outcome is unknown, which
 *       undoes its put whether etcd applies it before or after; or deletes a key whose value names
 *       the attempt: 1 RTT, only after a failure.
 *   <li><b>inspect</b>: the key, then its lease's time to live: 2 RTT (I1).
 *   <li><b>watch</b>: an etcd watch on the key's deletions (L4, L5), see {@link KeyWatch}.
 *   <li><b>list</b> (O4): range reads of the namespace's keys from the prefix's bytes, in pages,
 *       each with its leases' times to live, within one operation timeout ({@link #list}).
 *   <li><b>forceRelease</b> (O4): the key, then a delete of exactly that incarnation, then a
 *       revocation of its lease: 3 RTT ({@link #forceRelease}).
 * </ul>
 *
 * <p>Expiry is etcd's: the leader counts lease TTLs on its own clock and deletes the key by a
 * replicated revocation (E2, E3). TTLs are whole seconds and no shorter than etcd's minimum, which
 * the backend learns when it opens ({@link MinimumTtl}) and declares as its granularity, so that
 * the runtime rounds every lease up to a multiple of it (E1).
 *
 * <p>This class also keeps, per lock it acquired, a {@link LeasedLock} that names its lease, token and
 * attempt. It lets release and renew skip a read; whenever etcd disagrees with it, etcd wins and a
 * client's lock found through another manager (same client id) is handled from the key alone.
 *
 * <p><b>Why a keep-alive nearly proves ownership, and what the key check adds.</b> A holding's
 * lease carries that lock's key and no other (leases are never shared between locks; the pool
 * holds only leases without a key), and nearly every way the key can end also ends the lease or
 * the holding: expiry ends both at once; a release through this manager deletes the key and
 * removes the holding before the lease is pooled, so a later renew finds no holding; a release
 * through another manager (same client id) or a forced release (O4) deletes the key and then
 * revokes its lease, which is safe because this manager pools a lease only after deleting that
 * very key itself. The exceptions are a revocation that never reached etcd (the breaking process
 * timed out or died between its two requests) and a key deleted by hand: the lease then lives on
 * without its key, and keep-alives alone would renew a lock that someone else may already hold.
 * So renewals also read the key from the member's local store ({@link #checkKey}), and a missing
 * incarnation is a loss (K3) like a refused keep-alive: an explicit renewal ({@link #renew}, a
 * heartbeat) reads it alongside its keep-alive and waits for both; the runtime's keep-alive
 * ({@link #renewAsync}) is confirmed by etcd's keep-alive answer alone and reads the key at most
 * once per lease length, after that answer, so such a loss is noticed within about one lease and
 * one renewal interval.
 *
 * <p><b>Which leases this instance owns</b>, and so revokes on {@link #close}: those of its
 * holdings, the idle ones in the pool, those of unsettled acquisitions (failed with an unknown
 * outcome, not undone yet) and those of undone ones whose revocation etcd has not confirmed yet.
 * Each lease is in at most one of these, moved by whichever thread removed it from another, so
 * none is pooled and revoked, or pooled twice.
 */
final class EtcdLockBackend
        implements WatchingLockBackend, AsyncLockBackend, EnumeratingLockBackend, BreakingLockBackend {

    static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Idle leases kept at most; enough for every thread of a busy process to find one. */
    private static final int POOL_CAPACITY = 256;

    private static final int MIN_SWEEP_THRESHOLD = 4_096;

    /** How long past its local deadline a holding is kept, for leases a leader change extended. */
    private static final long SWEEP_GRACE_NANOS = 10 * NANOS_PER_SECOND;

    /** First and longest pause between background revocations of an undone attempt's lease. */
    private static final long FIRST_RETRY_NANOS = 100_000_000L;

    private static final long MAX_RETRY_NANOS = NANOS_PER_SECOND;

    /** When a holder's lease is already gone, its key goes with it: look again soon, not at once. */
    private static final long GONE_LEASE_RECHECK_NANOS = 100_000_000L;

    /** Keys read per page of a listing: a page of the longest keys and values stays near 2 MB. */
    private static final int LIST_PAGE = 256;

    private static final System.Logger LOG = System.getLogger(EtcdLockBackend.class.getName());

    private static final CompletableFuture<Boolean> NOT_RENEWED = CompletableFuture.completedFuture(false);

    /** The renewal's check of its key: the member's own copy, revisions without the value. */
    private static final GetOption KEY_CHECK =
            GetOption.builder().withSerializable(true).withKeysOnly(true).build();

    private final ReplaceableClient client;
    private final ExecutorService executor;
    private final LockKeys keys;
    private final NamespaceRegistry registry;
    private final Duration operationTimeout;
    private final LeaseLossListener losses;
    private final LeasePool pool;

    /** etcd's minimum lease TTL, learnt at open; the runtime rounds leases up to it (E1). */
    private final Duration granularity;

    private final ConcurrentHashMap<LeasedLock.Key, LeasedLock> holdings = new ConcurrentHashMap<>();

    /**
     * Leases of acquisitions that failed with an unknown outcome, by attempt, until the runtime
     * undoes them (X5). Entries are few: the runtime undoes each failed attempt at once.
     */
    private final ConcurrentHashMap<Attempt, Long> unsettled = new ConcurrentHashMap<>();

    /**
     * Leases of undone attempts whose revocation etcd has not confirmed within the undo's budget;
     * they are revoked again in the background until it does, or until close.
     */
    private final Set<Long> revoking = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;

    /** Above this many holdings, an acquisition first drops the expired ones. */
    private volatile int sweepAbove = MIN_SWEEP_THRESHOLD;

    /** Whether {@link #warnOfLongerLease} has spoken; once per backend is enough. */
    private final AtomicBoolean warnedOfLongerLease = new AtomicBoolean();

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
        this.registry = new NamespaceRegistry(namespace, client::kv);
        this.operationTimeout = operationTimeout;
        this.losses = losses;
        this.pool = new LeasePool(POOL_CAPACITY, this::revokeQuietly);
        // Asked now, because the runtime reads the granularity once, when it opens (E1).
        this.granularity = MinimumTtl.learn(client.leases(), budget());
    }

    // ---- acquire --------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Times here are {@link System#nanoTime()}, not the runtime's ticker: they estimate how long
     * etcd's leases live, which etcd measures in real time whatever a test's ticker says.
     */
    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        long ttl = ttlSeconds(leaseNanos);
        OperationBudget budget = budget();
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
            refresh = client.keepAliveOnce(lease.id());
            response = budget.await(txn, "acquire '" + tried.resourceId() + "'");
        } catch (RuntimeException e) {
            if (OperationBudget.isLeaseNotFound(e)) {
                return null; // etcd refused the put with the lease: nothing was written
            }
            throw unsettled(tried, lease.id(), e);
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
            throw unsettled(tried, lease.id(), e);
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
        LeaseGrantResponse grant = budget.await(leases().grant(ttl), "grant a lease for '" + tried.resourceId() + "'");
        if (grant.getTTL() > ttl) {
            warnOfLongerLease(ttl, grant.getTTL());
        }
        IdleLease lease = new IdleLease(grant.getID(), grant.getTTL(), 0).refreshedAt(sent);
        TxnResponse response;
        try {
            response = budget.await(
                    createIfAbsent(key, tried, lease.id(), lease.ttlSeconds()), "acquire '" + tried.resourceId() + "'");
        } catch (RuntimeException e) {
            throw unsettled(tried, lease.id(), e);
        }
        if (!response.isSucceeded()) {
            pool.offer(ttl, lease, System.nanoTime());
            return held(budget, response, tried.clientId());
        }
        return keep(tried, new LeasedLock(lease.id(), lease.ttlSeconds(), revision(response), tried.id(), sent));
    }

    private CompletableFuture<TxnResponse> createIfAbsent(ByteSequence key, Attempt tried, long leaseId, long ttl) {
        return kv().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                .Then(Op.put(
                        key,
                        LockKeys.value(ttl, tried.id(), tried.clientId()),
                        PutOption.builder().withLeaseId(leaseId).build()))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    /**
     * Remembers the lease of an attempt whose put may have been applied, or may be applied yet, for
     * {@link #undo}; the lease is then neither pooled nor kept alive by anyone.
     *
     * @return the failure, for the caller to throw
     */
    private RuntimeException unsettled(Attempt tried, long leaseId, RuntimeException failure) {
        unsettled.put(tried, leaseId);
        return failure;
    }

    private Acquisition keep(Attempt tried, LeasedLock holding) {
        LeasedLock replaced = holdings.put(new LeasedLock.Key(tried.resourceId(), tried.clientId()), holding);
        if (replaced != null) {
            // A lock of ours that ended unnoticed (expired, or released elsewhere): the key was just
            // created anew, so that incarnation is gone. Its lease is ours to revoke, and a runtime
            // lease that still stands for it is lost (K3).
            revokeQuietly(replaced.leaseId);
            losses.leaseLost(tried.resourceId(), replaced.token);
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
            ttl = budget.await(leases().timeToLive(leaseId, LeaseOption.DEFAULT), "read the holder's lease");
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

    // ---- release --------------------------------------------------------------------------------

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        OperationBudget budget = budget();
        ByteSequence key = keys.key(resourceId);
        LeasedLock.Key holdingKey = new LeasedLock.Key(resourceId, clientId);
        LeasedLock holding = holdings.get(holdingKey);
        KeyValue current;
        if (holding != null && holding.isNamedBy(fencingToken)) {
            TxnResponse response =
                    budget.await(deleteIfIncarnation(key, holding.token), "release '" + resourceId + "'");
            if (response.isSucceeded()) {
                if (holdings.remove(holdingKey, holding)) {
                    pool.offer(holding.ttlSeconds, holding.idle(), System.nanoTime());
                }
                return true;
            }
            forget(resourceId, holdingKey, holding);
            if (fencingToken != ANY_ACQUISITION) {
                return false; // the named acquisition is the one that just proved gone
            }
            current = firstOf(response.getGetResponses());
        } else {
            // No holding, or one of another acquisition than the caller names: a later one of the
            // same client is left alone (K4), unless the key shows that the named one is live.
            current = first(
                    budget.await(kv().get(key), "read '" + resourceId + "'").getKvs());
        }
        if (current == null || !ownedBy(current, clientId) || !names(fencingToken, current.getCreateRevision())) {
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
            budget.await(leases().revoke(current.getLease()), "revoke the lease of '" + resourceId + "'");
        } catch (LockException e) {
            revokeQuietly(current.getLease()); // released all the same; the lease expires at worst
        }
        return true;
    }

    private CompletableFuture<TxnResponse> deleteIfIncarnation(ByteSequence key, long createRevision) {
        return kv().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    // ---- renew ----------------------------------------------------------------------------------

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return budget().await(renewal(resourceId, clientId, fencingToken, true), "renew '" + resourceId + "'");
    }

    /**
     * {@inheritDoc}
     *
     * <p>The same requests as {@link #renew}, chained on jetcd's callbacks. Every call carries the
     * operation timeout as its gRPC deadline; the stage is also timed out locally, in case a
     * callback never comes.
     */
    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        CompletableFuture<Boolean> renewal;
        try {
            renewal = renewal(resourceId, clientId, fencingToken, false);
        } catch (RuntimeException e) {
            renewal = CompletableFuture.failedFuture(e);
        }
        return renewal.orTimeout(operationTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .exceptionally(failure -> {
                    if (ReplaceableClient.isTimeout(failure)) {
                        client.suspectStall();
                    }
                    throw OperationBudget.failed(operationTimeout, "renew '" + resourceId + "'", failure);
                });
    }

    /**
     * One renewal, without blocking: a keep-alive of the holding's lease, or, for a lock this
     * instance has no holding of (taken through another manager), a read of the key first.
     *
     * <p>The lease carries this lock's key and nothing else, so a live lease almost always means a
     * live lock. The exception is a key deleted while its lease lives on: a forced release whose
     * revocation of the lease was not confirmed, or a key deleted by hand. A check of the key
     * catches it. An explicit renewal ({@link #renew}, a heartbeat) waits for that check, sent
     * alongside the keep-alive. A keep-alive of the runtime ({@link #renewAsync}) is confirmed by
     * the keep-alive alone, and checks the key at most once per lease length, without waiting for
     * the answer: a thousand kept-alive leases must not double their requests, and a slow or
     * leaderless member answering the check must not delay a renewal that etcd has granted (a
     * late confirmation is a false loss, K3).
     *
     * @param checkKeyNow whether to check the key with this renewal and wait for it
     * @return whether a live lease of the named acquisition was extended; fails on engine errors
     */
    private CompletableFuture<Boolean> renewal(
            String resourceId, String clientId, long fencingToken, boolean checkKeyNow) {
        LeasedLock.Key holdingKey = new LeasedLock.Key(resourceId, clientId);
        LeasedLock holding = holdings.get(holdingKey);
        if (holding == null || !holding.isNamedBy(fencingToken)) {
            return renewalFromKey(resourceId, clientId, fencingToken);
        }
        long sent = System.nanoTime();
        ByteSequence key = keys.key(resourceId);
        CompletableFuture<KeyCheck> keyGone = checkKeyNow ? checkKey(key, holding.token) : null;
        return keepAlive(holding.leaseId).thenCompose(extended -> {
            if (!extended) {
                // etcd says the lease is gone, so the lock ended with it (K3); nothing to revoke.
                if (holdings.remove(holdingKey, holding)) {
                    losses.leaseLost(resourceId, holding.token);
                }
                return fencingToken == ANY_ACQUISITION
                        ? renewalFromKey(resourceId, clientId, fencingToken)
                        : NOT_RENEWED;
            }
            if (keyGone == null) {
                holding.refreshedAt(sent);
                // Taken only once etcd granted the keep-alive, so a failed keep-alive does not use
                // up the check; an answer that proves nothing makes it due again at once.
                if (holding.takeKeyCheck(sent)) {
                    checkKey(key, holding.token)
                            .thenAccept(check -> {
                                if (check == KeyCheck.GONE) {
                                    forget(resourceId, holdingKey, holding);
                                } else if (check == KeyCheck.UNKNOWN) {
                                    holding.keyCheckInconclusive();
                                }
                            })
                            .exceptionally(failure -> {
                                LOG.log(
                                        Level.WARNING,
                                        "The key check of a renewal of '" + resourceId + "' failed",
                                        failure);
                                return null;
                            });
                }
                return CompletableFuture.completedFuture(true);
            }
            return keyGone.thenCompose(check -> {
                if (check != KeyCheck.GONE) {
                    holding.refreshedAt(sent);
                    return CompletableFuture.completedFuture(true);
                }
                // Broken (O4) or deleted by hand while the lease lives: the lock is lost (K3), and
                // the lease, which carries nothing now, is ours to revoke.
                forget(resourceId, holdingKey, holding);
                return fencingToken == ANY_ACQUISITION
                        ? renewalFromKey(resourceId, clientId, fencingToken)
                        : NOT_RENEWED;
            });
        });
    }

    /** What a check of a lock's key proved. */
    private enum KeyCheck {
        /** The member has the incarnation. */
        PRESENT,
        /** The member has seen the incarnation and no longer has it: the lock ended. */
        GONE,
        /** Nothing: the read failed, or the member has not caught up with the incarnation yet. */
        UNKNOWN
    }

    /**
     * Tells whether a key incarnation surely ended, cheaply: a serializable read of the key alone
     * (no value) that the member the client talks to serves from its own store, with no Raft round
     * and no trip to the leader. A member that lags may not have applied the acquisition yet; its
     * answer then proves nothing, so the read counts only once the member's revision has reached
     * the incarnation's. A failed read proves nothing either: the keep-alive decides then, as it
     * did alone before.
     *
     * @param key the lock's key
     * @param token the incarnation's create revision
     * @return a stage with what the read proved; it never fails
     */
    private CompletableFuture<KeyCheck> checkKey(ByteSequence key, long token) {
        CompletableFuture<TxnResponse> read;
        try {
            // A read-only transaction rather than a get: jetcd retries a get that a member refuses
            // (no leader, unavailable) after half a second and more, and a check must answer once,
            // within its deadline. etcd serves a transaction of serializable reads locally too.
            read = kv().txn().Then(Op.get(key, KEY_CHECK)).commit();
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(KeyCheck.UNKNOWN);
        }
        return read.handle((response, failure) -> {
            if (failure != null
                    || response.getHeader().getRevision() < token
                    || response.getGetResponses().isEmpty()) {
                return KeyCheck.UNKNOWN;
            }
            KeyValue current = first(response.getGetResponses().get(0).getKvs());
            return current == null || current.getCreateRevision() != token ? KeyCheck.GONE : KeyCheck.PRESENT;
        });
    }

    private CompletableFuture<Boolean> renewalFromKey(String resourceId, String clientId, long fencingToken) {
        return kv().get(keys.key(resourceId)).thenCompose(response -> {
            KeyValue current = first(response.getKvs());
            if (current == null || !ownedBy(current, clientId) || !names(fencingToken, current.getCreateRevision())) {
                return NOT_RENEWED;
            }
            // The client's lock, taken through another manager: its lease is named by the key.
            return keepAlive(current.getLease()).thenApply(extended -> {
                if (!extended) {
                    losses.leaseLost(resourceId, current.getCreateRevision());
                }
                return extended;
            });
        });
    }

    /**
     * A keep-alive, answered {@code true} when etcd reset the lease's TTL and {@code false} when
     * it no longer knows the lease (expired or revoked: jetcd reports etcd's TTL of 0 as "not
     * found"); other failures fail the stage.
     */
    private CompletableFuture<Boolean> keepAlive(long leaseId) {
        return leases().keepAliveOnce(leaseId).handle((answer, failure) -> {
            if (failure == null) {
                return answer.getTTL() > 0;
            }
            if (OperationBudget.isLeaseNotFound(failure)) {
                return false;
            }
            throw failure instanceof CompletionException wrapped ? wrapped : new CompletionException(failure);
        });
    }

    // ---- undo -----------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>An attempt that failed with its put possibly applied left its lease unsettled: revoking
     * it undoes the put whichever etcd applies first. Applied before, the revocation deletes the
     * key with the lease; applied after, the put fails because its lease is gone. So no ordering
     * of the two requests is needed, and nothing else ends: the lease was this attempt's alone.
     * An attempt that did acquire (the runtime lost the answer after it returned) is undone by a
     * transaction that deletes the key only while its value names this attempt.
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        OperationBudget budget = budget();
        Long leaseId = unsettled.remove(new Attempt(resourceId, clientId, attempt));
        if (leaseId != null) {
            revokeWithin(budget, leaseId);
            return;
        }
        LeasedLock.Key holdingKey = new LeasedLock.Key(resourceId, clientId);
        LeasedLock holding = holdings.get(holdingKey);
        if (holding == null || holding.attempt != attempt || !holdings.remove(holdingKey, holding)) {
            return; // this attempt holds nothing: it found the lock held, or never reached etcd
        }
        boolean deleted = false;
        try {
            deleted = budget.await(deleteIfMadeBy(keys.key(resourceId), holding, clientId), "undo '" + resourceId + "'")
                    .isSucceeded();
        } catch (RuntimeException e) {
            // The delete may not have been applied: revoking the lease deletes the key all the same.
        }
        if (deleted) {
            pool.offer(holding.ttlSeconds, holding.idle(), System.nanoTime());
        } else {
            revokeWithin(budget, holding.leaseId);
        }
    }

    /**
     * Revokes a lease that carries at most one key, of an attempt being undone; never throws. What
     * etcd did not confirm within the budget is revoked again in the background, which is safe at
     * any time because no one else ever uses that lease: so an etcd that answers late (a pause, a
     * slow disk) still sees the lock undone soon after it recovers, not a whole TTL later (X5).
     */
    private void revokeWithin(OperationBudget budget, long leaseId) {
        try {
            budget.await(leases().revoke(leaseId), "revoke the lease of an undone acquisition");
        } catch (RuntimeException e) {
            if (!OperationBudget.isLeaseNotFound(e) && revoking.add(leaseId)) {
                revokeInBackground(leaseId, FIRST_RETRY_NANOS);
            }
        }
    }

    private void revokeInBackground(long leaseId, long delayNanos) {
        if (closed) {
            return; // close revokes what is left
        }
        CompletableFuture.delayedExecutor(delayNanos, TimeUnit.NANOSECONDS, executor)
                .execute(() -> {
                    if (closed) {
                        return;
                    }
                    leases().revoke(leaseId).whenComplete((answer, failure) -> {
                        if (failure == null || OperationBudget.isLeaseNotFound(failure)) {
                            revoking.remove(leaseId);
                        } else {
                            revokeInBackground(leaseId, Math.min(2 * delayNanos, MAX_RETRY_NANOS));
                        }
                    });
                });
    }

    private CompletableFuture<TxnResponse> deleteIfMadeBy(ByteSequence key, LeasedLock holding, String clientId) {
        return kv().txn()
                .If(
                        new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(holding.token)),
                        new Cmp(
                                key,
                                Cmp.Op.EQUAL,
                                CmpTarget.value(LockKeys.value(holding.ttlSeconds, holding.attempt, clientId))))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .commit();
    }

    // ---- inspect --------------------------------------------------------------------------------

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        OperationBudget budget = budget();
        KeyValue current = first(budget.await(kv().get(keys.key(resourceId)), "read '" + resourceId + "'")
                .getKvs());
        if (current == null) {
            return Optional.empty();
        }
        LockKeys.Holder holder = LockKeys.holder(current.getValue());
        LeaseTimeToLiveResponse ttl = budget.await(
                leases().timeToLive(current.getLease(), LeaseOption.DEFAULT), "read the lease of '" + resourceId + "'");
        Duration remaining = remaining(ttl);
        if (remaining == null) {
            return Optional.empty(); // expired between the two reads
        }
        return Optional.of(new LockInfo(resourceId, holder.clientId(), current.getCreateRevision(), remaining));
    }

    /**
     * What a live lease has left, as {@link #inspect}, {@link #list} and {@link #forceRelease}
     * report it (I1).
     *
     * @param ttl etcd's answer about the lease
     * @return the time left, or {@code null} when etcd no longer knows the lease (it expired)
     */
    private static @Nullable Duration remaining(LeaseTimeToLiveResponse ttl) {
        if (ttl.getTTL() < 0) {
            return null;
        }
        // etcd truncates the remaining time to whole seconds; the truth lies within the next second.
        return Duration.ofSeconds(Math.min(ttl.getTTL() + 1, Math.max(ttl.getGrantedTTL(), 1)));
    }

    // ---- list (O4) ------------------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>A range read of the keys from {@code namespace + UTF-8(prefix)} to the end of that byte
     * prefix, in pages, each followed by the time to live of the page's leases, all sent at once.
     * UTF-8 keeps prefixes (an id starts with {@code prefix} exactly when its key starts with the
     * range's bytes), so the prefix is matched exactly and no character is special (V1). etcd
     * returns keys in byte order, so with more than {@code limit} matching locks, the ones listed
     * are those whose ids come first in the byte order of their UTF-8 encoding (code point order);
     * they are then sorted by {@link String#compareTo}, which differs from it only between
     * characters above U+FFFF and those from U+E000 to U+FFFF.
     *
     * <p>Skipped: keys that DLM cannot have written (a rest that is not the UTF-8 of a V1 id, no
     * lease, a value not of {@link LockKeys#value}), with a warning; leases etcd no longer knows
     * (E2), as {@link #inspect} skips them; and the keys of registered namespaces that start with
     * this one, which belong to other lock spaces ({@link NamespaceRegistry#nestedNamespaces}),
     * whose key ranges are stepped over in one read each. The whole listing has one deadline, the
     * operation timeout (X1).
     */
    @Override
    public List<LockInfo> list(String prefix, int limit) {
        OperationBudget budget = budget();
        String what = "list the locks under '" + prefix + "'";
        CompletableFuture<List<ByteSequence>> nestedReply = registry.nestedNamespaces();
        ByteSequence from = keys.key(prefix);
        // A namespace is non-empty UTF-8, which has no 0xFF byte, so the range has an end.
        ByteSequence end = OptionsUtil.prefixEndOf(from);
        List<ByteSequence> nested = null;
        List<LockInfo> found = new ArrayList<>();
        while (found.size() < limit && compare(from, end) < 0) {
            GetOption page = GetOption.builder()
                    .withRange(end)
                    .withLimit(Math.min(limit - found.size(), LIST_PAGE))
                    .build();
            GetResponse response = budget.await(kv().get(from, page), what);
            if (nested == null) {
                nested = budget.await(nestedReply, "read the registered namespaces");
            }
            List<KeyValue> candidates = new ArrayList<>();
            ByteSequence next = null;
            for (KeyValue current : response.getKvs()) {
                ByteSequence inner = nestedUnder(current.getKey(), nested);
                if (inner != null) {
                    // Another lock space's keys: go on after all of them.
                    next = OptionsUtil.prefixEndOf(inner);
                    break;
                }
                candidates.add(current);
                next = after(current.getKey());
            }
            found.addAll(describe(budget, candidates, what));
            if (next == null
                    || (!response.isMore()
                            && candidates.size() == response.getKvs().size())) {
                break; // the range is exhausted
            }
            from = next;
        }
        found.sort(Comparator.comparing(LockInfo::resourceId));
        return found;
    }

    /**
     * The live locks among keys of one page: the time to live of every lease is asked at once, and
     * each answer awaited within the listing's budget.
     */
    private List<LockInfo> describe(OperationBudget budget, List<KeyValue> page, String what) {
        List<LockInfo> live = new ArrayList<>(page.size());
        List<KeyValue> locks = new ArrayList<>(page.size());
        List<String> ids = new ArrayList<>(page.size());
        List<LockKeys.Holder> holders = new ArrayList<>(page.size());
        List<CompletableFuture<LeaseTimeToLiveResponse>> ttls = new ArrayList<>(page.size());
        for (KeyValue current : page) {
            String resourceId = keys.lockResourceId(current.getKey());
            LockKeys.Holder holder = resourceId == null || current.getLease() == 0 ? null : holderOrNull(current);
            if (holder == null) {
                // One odd key must not hide every other lock from the operator.
                LOG.log(
                        Level.WARNING,
                        "Skipping the etcd key {0} in a listing: DLM did not write it (no V1 id, no lease or"
                                + " not a DLM value); do not write under a DLM namespace with other tools",
                        current.getKey().toString(StandardCharsets.UTF_8));
                continue;
            }
            locks.add(current);
            ids.add(resourceId);
            holders.add(holder);
            ttls.add(leases().timeToLive(current.getLease(), LeaseOption.DEFAULT));
        }
        for (int i = 0; i < locks.size(); i++) {
            Duration remaining = remaining(budget.await(ttls.get(i), what));
            if (remaining != null) {
                live.add(new LockInfo(
                        ids.get(i), holders.get(i).clientId(), locks.get(i).getCreateRevision(), remaining));
            }
        }
        return live;
    }

    private static LockKeys.@Nullable Holder holderOrNull(KeyValue current) {
        try {
            return LockKeys.holder(current.getValue());
        } catch (IllegalStateException e) {
            return null;
        }
    }

    /** The key prefix of the nested namespace that {@code key} lies in, if any. */
    private static @Nullable ByteSequence nestedUnder(ByteSequence key, List<ByteSequence> nested) {
        for (ByteSequence inner : nested) {
            // The namespace's own key would be the empty id there, which V1 rules out: it is ours.
            if (key.size() > inner.size() && key.startsWith(inner)) {
                return inner;
            }
        }
        return null;
    }

    /** The smallest key after {@code key}: the next page starts there. */
    private static ByteSequence after(ByteSequence key) {
        byte[] bytes = key.getBytes();
        return ByteSequence.from(Arrays.copyOf(bytes, bytes.length + 1));
    }

    /** Compares keys as etcd orders them: bytes, unsigned. */
    private static int compare(ByteSequence a, ByteSequence b) {
        return Arrays.compareUnsigned(a.getBytes(), b.getBytes());
    }

    // ---- forceRelease (O4) ----------------------------------------------------------------------

    /**
     * {@inheritDoc}
     *
     * <p>Reads the key, then deletes exactly that incarnation, by its create revision, as the
     * holder's own release would (1 RTT, the read of its lease's time to live sent alongside); if
     * the lock changed hands in between, the same transaction returns the new holder, which is
     * broken the same way, within the operation timeout. The key's deletion is what frees the
     * lock: waiters' watches see it (U3, L4), and the next acquisition creates the key at a later
     * revision, a larger token (F1). Then the holder's lease is revoked (1 RTT), so that its next
     * keep-alive is refused and it notices the loss (K3, H2). That is safe because the lease is
     * this lock's alone (see the class comment): the holder's manager gives a lease back to its
     * pool only after deleting that very key incarnation itself, which can no longer happen. If
     * the revocation is not confirmed, the lock is broken all the same and the holder's next
     * renewal or key check finds its key gone ({@link #checkKey}); the lease expires by its TTL.
     *
     * <p>A key whose value DLM did not write fails the call, as in {@link #inspect}, before
     * anything is changed.
     */
    @Override
    public Optional<LockInfo> forceRelease(String resourceId) {
        OperationBudget budget = budget();
        String what = "break the lock on '" + resourceId + "'";
        ByteSequence key = keys.key(resourceId);
        KeyValue current = first(budget.await(kv().get(key), what).getKvs());
        while (current != null) {
            LockKeys.Holder holder = LockKeys.holder(current.getValue());
            long leaseId = current.getLease();
            CompletableFuture<LeaseTimeToLiveResponse> ttl = leases().timeToLive(leaseId, LeaseOption.DEFAULT);
            TxnResponse response;
            try {
                response = budget.await(deleteIfIncarnation(key, current.getCreateRevision()), what);
            } catch (LockException e) {
                // Not retried: the delete may have been applied and only its reply lost, and the
                // lock may belong to a new holder by now, whom a retry would break.
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "forced release of '" + resourceId + "': etcd did not answer the delete, so whether it took"
                                + " effect is unknown; inspect the resource before trying again",
                        e);
            }
            if (response.isSucceeded()) {
                Duration remaining = remainingOfBroken(budget, ttl, holder);
                revokeBroken(budget, leaseId, resourceId);
                return Optional.of(new LockInfo(resourceId, holder.clientId(), current.getCreateRevision(), remaining));
            }
            current = firstOf(response.getGetResponses());
        }
        return Optional.empty();
    }

    /**
     * The time the broken lease had left: as {@link #inspect} reads it, zero if it ran out just as
     * it was broken, or the TTL its key records if etcd did not say in time (an upper bound).
     */
    private static Duration remainingOfBroken(
            OperationBudget budget, CompletableFuture<LeaseTimeToLiveResponse> ttl, LockKeys.Holder holder) {
        try {
            Duration remaining = remaining(budget.await(ttl, "read the broken lease"));
            return remaining == null ? Duration.ZERO : remaining;
        } catch (LockException e) {
            return Duration.ofSeconds(holder.ttlSeconds());
        }
    }

    private void revokeBroken(OperationBudget budget, long leaseId, String resourceId) {
        try {
            budget.await(leases().revoke(leaseId), "revoke the broken lease of '" + resourceId + "'");
        } catch (LockException e) {
            if (!OperationBudget.isLeaseNotFound(e)) {
                // Once more without waiting; the holder's renewal finds the key gone in any case.
                revokeQuietly(leaseId);
            }
        }
    }

    // ---- watch ----------------------------------------------------------------------------------

    @Override
    public Watch watch(String resourceId, Runnable onMaybeFree) {
        return client.watch(watches -> KeyWatch.open(watches, keys.key(resourceId), onMaybeFree, budget(), executor));
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

    // ---- close ----------------------------------------------------------------------------------

    @Override
    public void close() {
        closed = true;
        // Revoking a lock's lease deletes its key in the same step (an unsettled acquisition's, too,
        // or makes its late put fail); pooled leases carry no key.
        List<CompletableFuture<?>> revocations = new ArrayList<>();
        for (LeasedLock.Key key : List.copyOf(holdings.keySet())) {
            LeasedLock holding = holdings.remove(key);
            if (holding != null) {
                revocations.add(leases().revoke(holding.leaseId));
            }
        }
        for (Attempt attempt : List.copyOf(unsettled.keySet())) {
            Long leaseId = unsettled.remove(attempt);
            if (leaseId != null) {
                revocations.add(leases().revoke(leaseId));
            }
        }
        for (long id : List.copyOf(revoking)) {
            revocations.add(leases().revoke(id));
        }
        for (long id : pool.drain()) {
            revocations.add(leases().revoke(id));
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

    /** One operation's budget; a call it sees go unanswered makes the client probe itself (N1). */
    private OperationBudget budget() {
        return OperationBudget.start(operationTimeout, client::suspectStall);
    }

    private KV kv() {
        return client.kv();
    }

    private io.etcd.jetcd.Lease leases() {
        return client.leases();
    }

    /**
     * Drops a holding that etcd contradicts (its key incarnation is gone); whoever removes it owns
     * its lease and revokes it, and reports the lock lost (K3).
     */
    private void forget(String resourceId, LeasedLock.Key holdingKey, LeasedLock holding) {
        if (holdings.remove(holdingKey, holding)) {
            // Reported first: the loss must reach the runtime whatever the revocation does.
            try {
                losses.leaseLost(resourceId, holding.token);
            } finally {
                revokeQuietly(holding.leaseId);
            }
        }
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

    private void revokeQuietly(long leaseId) {
        // A lease that is already gone answers "not found"; anything else expires by its TTL.
        leases().revoke(leaseId).exceptionally(failure -> null);
    }

    /**
     * Tells whether a caller's token names an acquisition (K4).
     *
     * @param fencingToken the caller's token, or {@link #ANY_ACQUISITION} for any of the client's
     * @param token the acquisition's token: its key's create revision
     * @return whether it is named
     */
    static boolean names(long fencingToken, long token) {
        return fencingToken == ANY_ACQUISITION || fencingToken == token;
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

    /** One acquisition attempt of the runtime, the key of an unsettled lease. */
    private record Attempt(String resourceId, String clientId, long id) {}
}
