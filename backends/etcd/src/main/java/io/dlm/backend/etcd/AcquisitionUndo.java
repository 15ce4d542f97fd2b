package io.dlm.backend.etcd;

import static io.dlm.backend.etcd.EtcdLockBackend.NANOS_PER_SECOND;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Undoes acquisitions whose outcome is unknown (X4, X5, N3). It holds the lease of each attempt
 * that failed after its transaction was sent until the runtime undoes that attempt, and revokes
 * again in the background, until etcd confirms, what an undo could not revoke in time. A lock the
 * client held before is never touched.
 */
final class AcquisitionUndo {

    /** First and longest pause between background revocations of an undone attempt's lease. */
    private static final long FIRST_RETRY_NANOS = 100_000_000L;

    private static final long MAX_RETRY_NANOS = NANOS_PER_SECOND;

    private final EtcdCalls etcd;
    private final LockKeys keys;
    private final LeasePool pool;
    private final Holdings holdings;

    /** Runs the background revocations. */
    private final ExecutorService executor;

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

    AcquisitionUndo(EtcdCalls etcd, LockKeys keys, LeasePool pool, Holdings holdings, ExecutorService executor) {
        this.etcd = etcd;
        this.keys = keys;
        this.pool = pool;
        this.holdings = holdings;
        this.executor = executor;
    }

    /**
     * Remembers the lease of an attempt whose put may have been applied, or may be applied yet, for
     * {@link #undo}; the lease is then neither pooled nor kept alive by anyone.
     *
     * @return the failure, for the caller to throw
     */
    RuntimeException unsettled(Attempt tried, long leaseId, RuntimeException failure) {
        unsettled.put(tried, leaseId);
        return failure;
    }

    /**
     * Undoes one acquisition attempt, as {@link io.dlm.spi.LockBackend#undo} asks.
     *
     * <p>An attempt that failed with its put possibly applied left its lease unsettled: revoking
     * it undoes the put whichever etcd applies first. Applied before, the revocation deletes the
     * key with the lease; applied after, the put fails because its lease is gone. So no ordering
     * of the two requests is needed, and nothing else ends: the lease was this attempt's alone.
     * An attempt that did acquire (the runtime lost the answer after it returned) is undone by a
     * transaction that deletes the key only while its value names this attempt.
     */
    void undo(String resourceId, String clientId, long attempt) {
        OperationBudget budget = etcd.budget();
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
            budget.await(etcd.leases().revoke(leaseId), "revoke the lease of an undone acquisition");
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
                    etcd.leases().revoke(leaseId).whenComplete((answer, failure) -> {
                        if (failure == null || OperationBudget.isLeaseNotFound(failure)) {
                            revoking.remove(leaseId);
                        } else {
                            revokeInBackground(leaseId, Math.min(2 * delayNanos, MAX_RETRY_NANOS));
                        }
                    });
                });
    }

    private CompletableFuture<TxnResponse> deleteIfMadeBy(ByteSequence key, LeasedLock holding, String clientId) {
        return etcd.kv()
                .txn()
                .If(
                        new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(holding.token)),
                        new Cmp(
                                key,
                                Cmp.Op.EQUAL,
                                CmpTarget.value(LockKeys.value(holding.ttlSeconds, holding.attempt, clientId))))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .commit();
    }

    /** Stops the background revocations, first thing on close, which revokes what is left. */
    void close() {
        closed = true;
    }

    /**
     * On close: sends the revocation of every lease this undo owns, which deletes an unsettled
     * acquisition's key or makes its late put fail (C1). Unsettled attempts are removed, so that
     * no undo revokes their leases too.
     *
     * @param revocations where the revocations sent are added, for close to wait for
     */
    void revokeAll(List<CompletableFuture<?>> revocations) {
        for (Attempt attempt : List.copyOf(unsettled.keySet())) {
            Long leaseId = unsettled.remove(attempt);
            if (leaseId != null) {
                revocations.add(etcd.leases().revoke(leaseId));
            }
        }
        for (long id : List.copyOf(revoking)) {
            revocations.add(etcd.leases().revoke(id));
        }
    }
}
