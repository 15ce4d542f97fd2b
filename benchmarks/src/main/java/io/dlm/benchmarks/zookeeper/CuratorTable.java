package io.dlm.benchmarks.zookeeper;

import io.dlm.benchmarks.LockTable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;

/**
 * Curator's lock recipes on one client, one recipe object per client and resource, kept, as an
 * application would keep them: {@code InterProcessMutex}, the usual ZooKeeper lock (a protected
 * ephemeral-sequential node under a container node per lock, then a look at its siblings to see
 * whether it is first; release deletes the node), or {@code InterProcessSemaphoreMutex}, a
 * semaphore of one lease whose internal mutex guards the lease node's creation.
 */
final class CuratorTable implements LockTable {

    /** The least wait of an acquisition: a zero wait would also give up on a node merely slow to show as first. */
    private static final long LEAST_WAIT_MILLIS = 10_000;

    private final CuratorFramework client;
    private final boolean semaphore;
    private final Map<String, InterProcessLock> locks = new ConcurrentHashMap<>();

    CuratorTable(CuratorFramework client, boolean semaphore) {
        this.client = client;
        this.semaphore = semaphore;
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        InterProcessLock lock = locks.computeIfAbsent(
                clientId + '/' + resourceId,
                key -> semaphore
                        ? new InterProcessSemaphoreMutex(client, "/curator-bench/semaphore/" + resourceId)
                        : new InterProcessMutex(client, "/curator-bench/mutex/" + resourceId));
        try {
            return lock.acquire(Math.max(timeoutMillis, LEAST_WAIT_MILLIS), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("acquire of " + resourceId + " failed", e);
        }
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        InterProcessLock lock = locks.get(clientId + '/' + resourceId);
        if (lock == null) {
            return false;
        }
        try {
            lock.release();
            return true;
        } catch (Exception e) {
            throw new IllegalStateException("release of " + resourceId + " failed", e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
