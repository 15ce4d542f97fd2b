package io.dlm.backend.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;

/**
 * How the parts of {@link EtcdLockBackend} reach etcd: the current client ({@link
 * ReplaceableClient}, N1), the budget of one operation (X1), and the requests and readings of
 * replies that more than one part uses.
 */
final class EtcdCalls {

    final ReplaceableClient client;

    /** {@code dlm.operation.timeout}: it bounds every operation, all its calls together (X1). */
    final Duration operationTimeout;

    EtcdCalls(ReplaceableClient client, Duration operationTimeout) {
        this.client = client;
        this.operationTimeout = operationTimeout;
    }

    /** One operation's budget; a call it sees go unanswered makes the client probe itself (N1). */
    OperationBudget budget() {
        return OperationBudget.start(operationTimeout, client::suspectStall);
    }

    /** The key-value client of the current connection. */
    KV kv() {
        return client.kv();
    }

    /** The lease client of the current connection. */
    io.etcd.jetcd.Lease leases() {
        return client.leases();
    }

    /** Revokes a lease without waiting for etcd's answer, and without failing. */
    void revokeQuietly(long leaseId) {
        // A lease that is already gone answers "not found"; anything else expires by its TTL.
        leases().revoke(leaseId).exceptionally(failure -> null);
    }

    /**
     * Deletes exactly one incarnation of a lock's key, named by its create revision; otherwise
     * reads the key, so that the caller learns who holds it now (U2, U4, K4). Sent as a plain gRPC
     * call where it can be ({@link DirectTransactions}): only wait for the answer, chain nothing on
     * it.
     */
    CompletableFuture<TxnResponse> deleteIfIncarnation(ByteSequence key, long createRevision) {
        CompletableFuture<TxnResponse> direct =
                client.transactDirectly(DirectTransactions.deleteIfIncarnation(key, createRevision));
        if (direct != null) {
            return direct;
        }
        return kv().txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(createRevision)))
                .Then(Op.delete(key, DeleteOption.DEFAULT))
                .Else(Op.get(key, GetOption.DEFAULT))
                .commit();
    }

    /** Whether a lock's key names {@code clientId} as its holder. */
    static boolean ownedBy(KeyValue current, String clientId) {
        return LockKeys.holder(current.getValue()).clientId().equals(clientId);
    }

    /** The key that the first read of a transaction found, if any. */
    static @Nullable KeyValue firstOf(List<GetResponse> responses) {
        return responses.isEmpty() ? null : first(responses.get(0).getKvs());
    }

    /** The first key of a read, if any. */
    static @Nullable KeyValue first(List<KeyValue> values) {
        return values.isEmpty() ? null : values.get(0);
    }
}
