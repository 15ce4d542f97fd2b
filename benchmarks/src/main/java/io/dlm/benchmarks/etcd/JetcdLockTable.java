package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.Engine;
import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * jetcd's {@code Lock} client: {@code lock} waits inside etcd's lock service until the client's
 * own key is the oldest, {@code unlock} deletes it. Either every client has one lease, granted at
 * its first lock and passed to all its locks (the usual jetcd idiom), or each lock gets a lease of
 * its own, granted before the lock and revoked to release it (which deletes the key).
 */
final class JetcdLockTable extends SessionTable {

    JetcdLockTable(String endpoint, boolean leasePerLock) {
        super(endpoint, leasePerLock);
    }

    @Override
    Session start(String clientId) {
        return new Locks(ttlPerLock ? 0 : grant(EtcdEngine.SESSION_LEASE_SECONDS, CALL_TIMEOUT_MILLIS));
    }

    /** One client's held keys and their leases. */
    private final class Locks implements Session {
        private final long sessionLease;
        private final Map<String, ByteSequence> keys = new HashMap<>();
        private final Map<String, Long> leases = new HashMap<>();

        Locks(long sessionLease) {
            this.sessionLease = sessionLease;
        }

        @Override
        public boolean acquire(String resource, long timeoutMillis) {
            // etcd's lock service has no "try once": a lock call waits until it is granted. The
            // benchmarks ask with timeout 0 only for free locks, so wait as for any call.
            long wait = Math.max(timeoutMillis, CALL_TIMEOUT_MILLIS);
            long lease = ttlPerLock ? grant(Engine.LEASE.toSeconds(), wait) : sessionLease;
            ByteSequence name = ByteSequence.from("/jetcd-bench/" + resource, StandardCharsets.UTF_8);
            keys.put(
                    resource,
                    await(client.getLockClient().lock(name, lease), wait).getKey());
            leases.put(resource, lease);
            return true;
        }

        @Override
        public boolean release(String resource) {
            ByteSequence key = keys.remove(resource);
            Long lease = leases.remove(resource);
            if (key == null || lease == null) {
                return false;
            }
            // A lease of the lock's own goes with it: revoking the lease deletes the key.
            CompletableFuture<?> released = ttlPerLock
                    ? client.getLeaseClient().revoke(lease)
                    : client.getLockClient().unlock(key);
            await(released, CALL_TIMEOUT_MILLIS);
            return true;
        }

        @Override
        public boolean renew(String resource) {
            Long lease = leases.get(resource);
            if (lease != null) {
                await(client.getLeaseClient().keepAliveOnce(lease), CALL_TIMEOUT_MILLIS);
            }
            return lease != null;
        }
    }
}
