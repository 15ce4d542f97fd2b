package io.dlm.benchmarks.zookeeper;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessLock;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreMutex;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The lock clients compared on ZooKeeper.
 *
 * <ul>
 *   <li>{@link #DLM}: {@code lock(r, c, 0)} and {@code unlock(r, c)} of DLM's backend: one
 *       transaction each (create lock and key node; delete both).
 *   <li>{@link #CURATOR_MUTEX}: Curator's {@code InterProcessMutex}, the usual ZooKeeper lock: a
 *       protected ephemeral-sequential node under a container node per lock, then a look at its
 *       siblings to see whether it is first; release deletes the node.
 *   <li>{@link #CURATOR_SEMAPHORE_MUTEX}: Curator's {@code InterProcessSemaphoreMutex}, the
 *       non-reentrant mutex (a semaphore of one lease), closest to DLM's non-reentrant locks.
 *   <li>{@link #RAW_CREATE_DELETE}: the least a ZooKeeper lock can send, not a lock anyone should
 *       use (no lease, no fencing check on release): a synchronous create of an ephemeral node and
 *       a synchronous delete of it, through Curator's plain node calls.
 * </ul>
 *
 * Neither Curator recipe has a lease: a lock lives as long as its session. DLM's locks also end
 * with their lease.
 */
public enum ZooKeeperLockType {
    /** DLM's zookeeper backend. */
    DLM {
        @Override
        Locks open(String connect) {
            LockManager manager = LockManagers.open(
                    "zookeeper",
                    Map.of(
                            "dlm.zookeeper.connect", connect,
                            "dlm.zookeeper.base-path", "/dlm-bench",
                            "dlm.lease.min", "30s"));
            return new Locks() {
                @Override
                public void acquire(String resource, String clientId) {
                    check(manager.lock(resource, clientId, 0), "lock", resource);
                }

                @Override
                public void release(String resource, String clientId) {
                    check(manager.unlock(resource, clientId), "unlock", resource);
                }

                @Override
                public void close() {
                    manager.close();
                }
            };
        }
    },

    /** Curator's InterProcessMutex. */
    CURATOR_MUTEX {
        @Override
        Locks open(String connect) {
            return new CuratorLocks(connect, false);
        }
    },

    /** Curator's InterProcessSemaphoreMutex. */
    CURATOR_SEMAPHORE_MUTEX {
        @Override
        Locks open(String connect) {
            return new CuratorLocks(connect, true);
        }
    },

    /** Two writes per pair: create an ephemeral node, delete it. */
    RAW_CREATE_DELETE {
        @Override
        Locks open(String connect) {
            CuratorFramework client = CuratorFrameworkFactory.builder()
                    .connectString(connect)
                    .retryPolicy(new RetryNTimes(3, 50))
                    .build();
            client.start();
            try {
                client.blockUntilConnected();
                client.create().creatingParentsIfNeeded().forPath("/raw-bench");
            } catch (KeeperException.NodeExistsException e) {
                // left by an earlier trial on the same server
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return new Locks() {
                @Override
                public void acquire(String resource, String clientId) {
                    try {
                        client.create().withMode(CreateMode.EPHEMERAL).forPath("/raw-bench/" + resource, EMPTY);
                    } catch (Exception e) {
                        throw new IllegalStateException("create of " + resource + " failed", e);
                    }
                }

                @Override
                public void release(String resource, String clientId) {
                    try {
                        client.delete().forPath("/raw-bench/" + resource);
                    } catch (Exception e) {
                        throw new IllegalStateException("delete of " + resource + " failed", e);
                    }
                }

                @Override
                public void close() {
                    client.close();
                }
            };
        }
    };

    private static final byte[] EMPTY = new byte[0];

    abstract Locks open(String connect);

    /** One client per trial: its own ZooKeeper session. */
    interface Locks extends AutoCloseable {
        /** Takes a free lock without waiting; fails loudly if it is not free. */
        void acquire(String resource, String clientId);

        /** Releases a lock this client holds; fails loudly if it did not. */
        void release(String resource, String clientId);

        @Override
        void close();
    }

    private static void check(boolean done, String what, String resource) {
        if (!done) {
            throw new IllegalStateException(what + " of " + resource + " failed");
        }
    }

    /** Curator's recipes, one recipe object per resource, as an application would keep them. */
    private static final class CuratorLocks implements Locks {
        private final CuratorFramework client;
        private final boolean semaphore;
        // Threads of one trial share the client, each on its own resources.
        private final Map<String, InterProcessLock> locks = new ConcurrentHashMap<>();

        CuratorLocks(String connect, boolean semaphore) {
            this.client = CuratorFrameworkFactory.builder()
                    .connectString(connect)
                    .retryPolicy(new RetryNTimes(3, 50))
                    .build();
            this.client.start();
            this.semaphore = semaphore;
        }

        @Override
        public void acquire(String resource, String clientId) {
            InterProcessLock lock = locks.computeIfAbsent(
                    resource,
                    r -> semaphore
                            ? new InterProcessSemaphoreMutex(client, "/curator-bench/semaphore/" + r)
                            : new InterProcessMutex(client, "/curator-bench/mutex/" + r));
            try {
                // A zero wait would also give up on a lock whose node is merely slow to show as
                // first; the locks here are free, so any short wait returns as soon as they are.
                check(lock.acquire(10, TimeUnit.SECONDS), "acquire", resource);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("acquire of " + resource + " failed", e);
            }
        }

        @Override
        public void release(String resource, String clientId) {
            try {
                locks.get(resource).release();
            } catch (Exception e) {
                throw new IllegalStateException("release of " + resource + " failed", e);
            }
        }

        @Override
        public void close() {
            client.close();
        }
    }
}
