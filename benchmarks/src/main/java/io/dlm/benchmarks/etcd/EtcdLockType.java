package io.dlm.benchmarks.etcd;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The lock clients compared on etcd: DLM's {@code etcd} backend, and jetcd's {@code Lock} client
 * (etcd's server-side lock service) used two ways.
 *
 * <ul>
 *   <li>{@link #DLM}: {@code lock(r, c, timeout)} and {@code unlock(r, c)}; every lock has its own
 *       lease and TTL.
 *   <li>{@link #JETCD_LOCK}: the usual jetcd idiom, one lease per client granted once (an
 *       etcd "session") and passed to every {@code lock}; {@code unlock} deletes the lock key.
 *       All locks of a client then share one TTL.
 *   <li>{@link #JETCD_LOCK_OWN_LEASE}: jetcd's {@code Lock} with what DLM gives, a lease per
 *       lock: grant, lock, then revoke (which deletes the lock key with the lease).
 * </ul>
 */
public enum EtcdLockType {
    /** DLM's etcd backend. */
    DLM {
        @Override
        Locks open(String endpoint) {
            LockManager manager = LockManagers.open(
                    "etcd",
                    Map.of(
                            "dlm.etcd.endpoints",
                            endpoint,
                            "dlm.etcd.namespace",
                            "/dlm-bench/",
                            "dlm.lease.min",
                            LEASE_SECONDS + "s"));
            return new Locks() {
                @Override
                public Session session(String clientId) {
                    return new Session() {
                        @Override
                        public void acquire(String resource, long timeoutMillis) {
                            check(manager.lock(resource, clientId, timeoutMillis), "lock", resource);
                        }

                        @Override
                        public void release(String resource) {
                            check(manager.unlock(resource, clientId), "unlock", resource);
                        }

                        @Override
                        public void renew(String resource) {
                            check(manager.heartbeat(resource, clientId), "heartbeat", resource);
                        }
                    };
                }

                @Override
                public void close() {
                    manager.close();
                }
            };
        }
    },

    /** jetcd's Lock with one long lease per client. */
    JETCD_LOCK {
        @Override
        Locks open(String endpoint) {
            return new JetcdLocks(endpoint, false);
        }
    },

    /** jetcd's Lock with a lease granted per lock and revoked on release. */
    JETCD_LOCK_OWN_LEASE {
        @Override
        Locks open(String endpoint) {
            return new JetcdLocks(endpoint, true);
        }
    },

    /**
     * The least a lock on etcd takes: a transaction that puts the key if it has no create revision
     * (with one session lease per client, as {@link #JETCD_LOCK}), and a transaction that deletes
     * it while its create revision is the token. Two round trips, two Raft writes.
     */
    RAW_TXN {
        @Override
        Locks open(String endpoint) {
            return new RawTxnLocks(endpoint, false);
        }
    },

    /**
     * {@link #RAW_TXN} with a lease per lock as DLM keeps it: each session keeps one lease for its
     * next lock, and the acquiring transaction goes out with a keep-alive of that lease beside it,
     * both awaited. What a TTL per lock costs at least, without a grant per lock.
     */
    RAW_TXN_KEEPALIVE {
        @Override
        Locks open(String endpoint) {
            return new RawTxnLocks(endpoint, true);
        }
    };

    /** The TTL every lock gets; far longer than any benchmark operation. */
    static final long LEASE_SECONDS = 30;

    /** How long a session lease lives; longer than a whole benchmark run, so it needs no keep-alive. */
    static final long SESSION_LEASE_SECONDS = 3_600;

    abstract Locks open(String endpoint);

    /** One lock client per trial, shared by the benchmark's threads. */
    interface Locks extends AutoCloseable {
        /**
         * A client of its own for one thread.
         *
         * @param clientId the client's id
         * @return its session
         */
        Session session(String clientId);

        @Override
        void close();
    }

    /** What one client does with a lock; each method fails loudly rather than return a flag. */
    interface Session {
        void acquire(String resource, long timeoutMillis);

        void release(String resource);

        void renew(String resource);
    }

    private static <T> T await(CompletableFuture<T> reply, long timeoutMillis) {
        try {
            return reply.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void check(boolean done, String what, String resource) {
        if (!done) {
            throw new IllegalStateException(what + " of " + resource + " failed");
        }
    }

    private static final class JetcdLocks implements Locks {
        private final Client client;
        private final boolean leasePerLock;

        JetcdLocks(String endpoint, boolean leasePerLock) {
            this.client = Client.builder().endpoints(endpoint).build();
            this.leasePerLock = leasePerLock;
        }

        @Override
        public Session session(String clientId) {
            long sessionLease = leasePerLock
                    ? 0
                    : await(client.getLeaseClient().grant(SESSION_LEASE_SECONDS), 10_000)
                            .getID();
            // One thread per session, so plain maps do.
            Map<String, ByteSequence> keys = new HashMap<>();
            Map<String, Long> leases = new HashMap<>();
            return new Session() {
                @Override
                public void acquire(String resource, long timeoutMillis) {
                    // etcd's lock service has no "try once": a lock call waits until it is granted.
                    // The benchmarks only ask for free locks with timeout 0, so wait as for any call.
                    long wait = Math.max(timeoutMillis, 10_000);
                    long lease = leasePerLock
                            ? await(client.getLeaseClient().grant(LEASE_SECONDS), wait)
                                    .getID()
                            : sessionLease;
                    ByteSequence name = ByteSequence.from("/jetcd-bench/" + resource, StandardCharsets.UTF_8);
                    keys.put(
                            resource,
                            await(client.getLockClient().lock(name, lease), wait)
                                    .getKey());
                    leases.put(resource, lease);
                }

                @Override
                public void release(String resource) {
                    ByteSequence key = keys.remove(resource);
                    long lease = leases.remove(resource);
                    if (leasePerLock) {
                        await(client.getLeaseClient().revoke(lease), 10_000);
                    } else {
                        await(client.getLockClient().unlock(key), 10_000);
                    }
                }

                @Override
                public void renew(String resource) {
                    await(client.getLeaseClient().keepAliveOnce(leases.get(resource)), 10_000);
                }
            };
        }

        @Override
        public void close() {
            client.close();
        }
    }

    /** Bare jetcd transactions: the floor the lock clients are measured against. */
    private static final class RawTxnLocks implements Locks {
        private final Client client;
        private final boolean keepAliveOnAcquire;

        RawTxnLocks(String endpoint, boolean keepAliveOnAcquire) {
            this.client = Client.builder().endpoints(endpoint).build();
            this.keepAliveOnAcquire = keepAliveOnAcquire;
        }

        @Override
        public Session session(String clientId) {
            long lease = await(
                            client.getLeaseClient().grant(keepAliveOnAcquire ? LEASE_SECONDS : SESSION_LEASE_SECONDS),
                            10_000)
                    .getID();
            ByteSequence value = ByteSequence.from(clientId, StandardCharsets.UTF_8);
            PutOption withLease = PutOption.builder().withLeaseId(lease).build();
            // One thread per session, so a plain map does.
            Map<String, Long> tokens = new HashMap<>();
            return new Session() {
                @Override
                public void acquire(String resource, long timeoutMillis) {
                    ByteSequence key = key(resource);
                    CompletableFuture<TxnResponse> txn = client.getKVClient()
                            .txn()
                            .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                            .Then(Op.put(key, value, withLease))
                            .Else(Op.get(key, GetOption.DEFAULT))
                            .commit();
                    if (keepAliveOnAcquire) {
                        await(client.getLeaseClient().keepAliveOnce(lease), 10_000);
                    }
                    TxnResponse response = await(txn, 10_000);
                    check(response.isSucceeded(), "put-if-absent", resource);
                    tokens.put(resource, response.getHeader().getRevision());
                }

                @Override
                public void release(String resource) {
                    ByteSequence key = key(resource);
                    TxnResponse response = await(
                            client.getKVClient()
                                    .txn()
                                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(tokens.remove(resource))))
                                    .Then(Op.delete(key, DeleteOption.DEFAULT))
                                    .commit(),
                            10_000);
                    check(response.isSucceeded(), "guarded delete", resource);
                }

                @Override
                public void renew(String resource) {
                    await(client.getLeaseClient().keepAliveOnce(lease), 10_000);
                }
            };
        }

        @Override
        public void close() {
            client.close();
        }

        private static ByteSequence key(String resource) {
            return ByteSequence.from("/raw-bench/" + resource, StandardCharsets.UTF_8);
        }
    }
}
