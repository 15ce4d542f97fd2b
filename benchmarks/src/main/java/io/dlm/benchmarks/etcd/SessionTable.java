package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.LockTable;
import io.etcd.jetcd.Client;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A lock table on one jetcd client (one channel) whose clients each hold a session of their own,
 * made at the client's first lock: its lease and what it needs to release its keys. Each client is
 * used by one thread at a time, so a session needs no locking of its own. Either each lock has a
 * TTL of its own, as DLM's do, or all locks of a client share the lease of its session.
 */
abstract class SessionTable implements LockTable {

    /** How long a client call may take before the benchmark gives up on it. */
    static final long CALL_TIMEOUT_MILLIS = 10_000;

    /** The channel every session shares. */
    final Client client;

    /** Whether each lock has a TTL of its own rather than its client's session lease. */
    final boolean ttlPerLock;

    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    SessionTable(String endpoint, boolean ttlPerLock) {
        this.client = Client.builder().endpoints(endpoint).build();
        this.ttlPerLock = ttlPerLock;
    }

    /**
     * Grants a lease.
     *
     * @param seconds its TTL
     * @param timeoutMillis how long to wait for the grant
     * @return its id
     */
    long grant(long seconds, long timeoutMillis) {
        return await(client.getLeaseClient().grant(seconds), timeoutMillis).getID();
    }

    /**
     * Starts the session of a client seen for the first time.
     *
     * @param clientId the client
     * @return its session
     */
    abstract Session start(String clientId);

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return sessions.computeIfAbsent(clientId, this::start).acquire(resourceId, timeoutMillis);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        Session session = sessions.get(clientId);
        return session != null && session.release(resourceId);
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        Session session = sessions.get(clientId);
        return session != null && session.renew(resourceId);
    }

    @Override
    public void close() {
        client.close();
    }

    /**
     * Waits for a client call.
     *
     * @param reply the call's reply
     * @param timeoutMillis how long to wait
     * @return the reply
     * @throws IllegalStateException if the call failed or took longer
     */
    static <T> T await(CompletableFuture<T> reply, long timeoutMillis) {
        try {
            return reply.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What one client does with its locks. */
    interface Session {
        /** Takes a resource, as {@link LockTable#lock}. */
        boolean acquire(String resource, long timeoutMillis);

        /** Releases a resource this session holds; false if it holds none. */
        boolean release(String resource);

        /** Renews the lease of a held resource; false if it holds none. */
        boolean renew(String resource);
    }
}
