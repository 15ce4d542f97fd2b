package io.dlm.backend.etcd;

import static io.dlm.backend.etcd.EtcdCalls.first;
import static io.dlm.backend.etcd.EtcdCalls.ownedBy;
import static io.dlm.backend.etcd.LeasedLock.names;
import static io.dlm.spi.LockBackend.ANY_ACQUISITION;

import io.dlm.spi.LeaseLossListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import java.lang.System.Logger.Level;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Renewals of locks: a keep-alive of the lock's lease, and a check that its key is still there
 * (H1-H3, K1, K3, K4). A lease etcd no longer knows, or a key incarnation the member no longer
 * has, is reported lost.
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
 */
final class Renewals {

    private static final System.Logger LOG = EtcdLockBackend.LOG;

    private static final CompletableFuture<Boolean> NOT_RENEWED = CompletableFuture.completedFuture(false);

    /** The renewal's check of its key: the member's own copy, revisions without the value. */
    private static final GetOption KEY_CHECK =
            GetOption.builder().withSerializable(true).withKeysOnly(true).build();

    private final EtcdCalls etcd;
    private final LockKeys keys;
    private final Holdings holdings;
    private final LeaseLossListener losses;

    Renewals(EtcdCalls etcd, LockKeys keys, Holdings holdings, LeaseLossListener losses) {
        this.etcd = etcd;
        this.keys = keys;
        this.holdings = holdings;
        this.losses = losses;
    }

    /** Renews a lock and waits for the answer, as {@link io.dlm.spi.LockBackend#renew} asks. */
    boolean renew(String resourceId, String clientId, long fencingToken) {
        return etcd.budget().await(renewal(resourceId, clientId, fencingToken, true), "renew '" + resourceId + "'");
    }

    /**
     * Renews a lock without waiting, as {@link io.dlm.spi.AsyncLockBackend#renewAsync} asks.
     *
     * <p>The same requests as {@link #renew}, chained on jetcd's callbacks. Every call carries the
     * operation timeout as its gRPC deadline; the stage is also timed out locally, in case a
     * callback never comes.
     */
    CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        CompletableFuture<Boolean> renewal;
        try {
            renewal = renewal(resourceId, clientId, fencingToken, false);
        } catch (RuntimeException e) {
            renewal = CompletableFuture.failedFuture(e);
        }
        return renewal.orTimeout(etcd.operationTimeout.toNanos(), TimeUnit.NANOSECONDS)
                .exceptionally(failure -> {
                    if (ReplaceableClient.isTimeout(failure)) {
                        etcd.client.suspectStall();
                    }
                    throw OperationBudget.failed(etcd.operationTimeout, "renew '" + resourceId + "'", failure);
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
                                    holdings.forget(resourceId, holdingKey, holding);
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
                holdings.forget(resourceId, holdingKey, holding);
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
            read = etcd.kv().txn().Then(Op.get(key, KEY_CHECK)).commit();
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
        return etcd.kv().get(keys.key(resourceId)).thenCompose(response -> {
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
        return etcd.leases().keepAliveOnce(leaseId).handle((answer, failure) -> {
            if (failure == null) {
                return answer.getTTL() > 0;
            }
            if (OperationBudget.isLeaseNotFound(failure)) {
                return false;
            }
            throw failure instanceof CompletionException wrapped ? wrapped : new CompletionException(failure);
        });
    }
}
