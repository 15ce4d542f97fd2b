package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.Engine;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The least a lock on etcd takes, on bare jetcd transactions: a transaction that puts the key if it
 * has no create revision, and a transaction that deletes it while its create revision is the
 * token. Two round trips, two Raft writes. The key carries one lease per client, either a session
 * lease granted once (as jetcd's {@code Lock} idiom), or a 30 s lease kept for the client's next
 * lock, with a keep-alive of it sent beside each acquiring transaction and both awaited: what a TTL
 * per lock costs at least, without a grant per lock. It never waits: a lock tries once whatever the
 * timeout.
 */
final class RawTxnTable extends SessionTable {

    RawTxnTable(String endpoint, boolean keepAliveOnAcquire) {
        super(endpoint, keepAliveOnAcquire);
    }

    @Override
    public boolean waits() {
        return false;
    }

    @Override
    Session start(String clientId) {
        long seconds = ttlPerLock ? Engine.LEASE.toSeconds() : EtcdEngine.SESSION_LEASE_SECONDS;
        return new Transactions(clientId, grant(seconds, CALL_TIMEOUT_MILLIS));
    }

    private static ByteSequence key(String resource) {
        return ByteSequence.from("/raw-bench/" + resource, StandardCharsets.UTF_8);
    }

    /** One client's lease and the tokens of its held keys. */
    private final class Transactions implements Session {
        private final Map<String, Long> tokens = new HashMap<>();
        private final ByteSequence value;
        private final long lease;
        private final PutOption withLease;

        Transactions(String clientId, long lease) {
            this.value = ByteSequence.from(clientId, StandardCharsets.UTF_8);
            this.lease = lease;
            this.withLease = PutOption.builder().withLeaseId(lease).build();
        }

        @Override
        public boolean acquire(String resource, long timeoutMillis) {
            ByteSequence key = key(resource);
            CompletableFuture<TxnResponse> txn = client.getKVClient()
                    .txn()
                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                    .Then(Op.put(key, value, withLease))
                    .Else(Op.get(key, GetOption.DEFAULT))
                    .commit();
            if (ttlPerLock) {
                await(client.getLeaseClient().keepAliveOnce(lease), CALL_TIMEOUT_MILLIS);
            }
            TxnResponse response = await(txn, CALL_TIMEOUT_MILLIS);
            if (response.isSucceeded()) {
                tokens.put(resource, response.getHeader().getRevision());
            }
            return response.isSucceeded();
        }

        @Override
        public boolean release(String resource) {
            Long token = tokens.remove(resource);
            if (token == null) {
                return false;
            }
            ByteSequence key = key(resource);
            return await(
                            client.getKVClient()
                                    .txn()
                                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(token)))
                                    .Then(Op.delete(key, DeleteOption.DEFAULT))
                                    .commit(),
                            CALL_TIMEOUT_MILLIS)
                    .isSucceeded();
        }

        @Override
        public boolean renew(String resource) {
            await(client.getLeaseClient().keepAliveOnce(lease), CALL_TIMEOUT_MILLIS);
            return true;
        }
    }
}
