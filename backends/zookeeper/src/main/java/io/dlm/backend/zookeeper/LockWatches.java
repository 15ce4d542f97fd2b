package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.WatchingLockBackend.Watch;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;

/**
 * The watches on lock nodes that wake this process's waiters (L4), and their removal (L5).
 *
 * <p>One persistent ZooKeeper watch per lock node with waiters here, shared by every registration
 * on it. Sharing matters beyond saving watches: the server keeps one watch per node and
 * connection, whatever the number of watchers in the client, and drops it only when all of the
 * node's watchers are removed; removing a single watcher merely checks the server's. The watch is
 * added when the first registration opens and removed when the last closes, both submitted while
 * the map entry is locked, so that the server receives adds and removals of a node in the order
 * they were decided.
 *
 * <p>Only a deletion (release, takeover, expired session) wakes waiters; renewals, which change the
 * node's data, do not. Expiry wakes them through the remaining lease the backend reports. After a
 * reconnection, every watch is added again (a new session has none) and every waiter is woken, in
 * case a release went unseen while disconnected.
 */
final class LockWatches implements ConnectionStateListener {

    private final CuratorFramework client;
    private final ConcurrentHashMap<String, NodeWatch> byPath = new ConcurrentHashMap<>();
    private volatile boolean closed;

    LockWatches(CuratorFramework client) {
        this.client = client;
    }

    /**
     * Registers interest in the deletion of a lock node; returns once ZooKeeper has the watch.
     *
     * @param path the lock node
     * @param onMaybeFree called from ZooKeeper's event thread; must not block
     * @param deadline from {@link ZooKeeperCalls#deadline()}
     * @return the registration
     * @throws LockException {@code INTERNAL_ERROR} if the watch could not be added in time
     */
    Watch open(String path, Runnable onMaybeFree, long deadline) {
        Registration registration = new Registration(path, onMaybeFree);
        NodeWatch watch = byPath.compute(path, (p, existing) -> {
            NodeWatch current = existing != null ? existing : new NodeWatch(p);
            current.listeners.add(onMaybeFree);
            if (existing == null || current.failed()) {
                current.add();
            }
            return current;
        });
        try {
            watch.awaitAdded(deadline);
        } catch (RuntimeException e) {
            registration.close();
            throw e;
        }
        return registration;
    }

    @Override
    public void stateChanged(CuratorFramework curator, ConnectionState newState) {
        if (newState == ConnectionState.RECONNECTED && !closed) {
            for (String path : byPath.keySet()) {
                byPath.computeIfPresent(path, (p, watch) -> {
                    watch.add();
                    return watch;
                });
            }
            byPath.values().forEach(NodeWatch::wake);
        }
    }

    /** Stops adding or removing watches: the session that holds them is closing. */
    void close() {
        closed = true;
        byPath.values().forEach(NodeWatch::wake);
        byPath.clear();
    }

    /** How many lock nodes are watched; for tests. */
    int size() {
        return byPath.size();
    }

    private void release(String path, Runnable listener) {
        byPath.computeIfPresent(path, (p, watch) -> {
            watch.listeners.remove(listener);
            if (!watch.listeners.isEmpty()) {
                return watch;
            }
            watch.remove();
            return null;
        });
    }

    /** The shared watch of one lock node. */
    private final class NodeWatch implements Watcher {
        final String path;
        final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();
        /** Completed when the latest add was acknowledged (or failed). */
        volatile Handoff<Boolean> added = new Handoff<>();

        NodeWatch(String path) {
            this.path = path;
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() == Event.EventType.NodeDeleted
                    || (event.getType() == Event.EventType.None
                            && event.getState() == Event.KeeperState.SyncConnected)) {
                wake();
            }
        }

        /** Whether the latest add was refused or lost; the next registration tries again. */
        boolean failed() {
            Boolean outcome = added.peek();
            return outcome != null && !outcome;
        }

        void wake() {
            for (Runnable listener : listeners) {
                listener.run();
            }
        }

        /** Submits the add; called with the map entry locked. */
        void add() {
            if (closed) {
                return;
            }
            Handoff<Boolean> future = added.peek() != null ? new Handoff<>() : added;
            added = future;
            try {
                client.watchers()
                        .add()
                        .withMode(AddWatchMode.PERSISTENT)
                        .inBackground((c, event) -> future.complete(event.getResultCode() == 0))
                        .usingWatcher(this)
                        .forPath(path);
            } catch (Exception e) {
                future.complete(false);
            }
        }

        /**
         * Submits the removal; called with the map entry locked. Removing this one watcher would
         * not do: ZooKeeper then only checks the server's watch and leaves it in place, where a
         * persistent watch would stay for the whole session. Removing all watches of the node is
         * right because this is the only watcher of the node in this client. Curator retries a
         * guaranteed removal across reconnections until ZooKeeper confirms it.
         */
        void remove() {
            if (closed) {
                return;
            }
            try {
                client.watchers()
                        .removeAll()
                        .guaranteed()
                        .quietly()
                        .inBackground()
                        .forPath(path);
            } catch (Exception e) {
                // The client is closing; its session, and every watch of it, ends with it.
            }
        }

        void awaitAdded(long deadline) {
            Boolean ok;
            try {
                ok = added.await(deadline, true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new LockException(LockError.INTERNAL_ERROR, "interrupted while adding a ZooKeeper watch", e);
            }
            if (ok == null) {
                throw new LockException(
                        LockError.INTERNAL_ERROR,
                        "ZooKeeper did not add a watch on " + ZooKeeperCalls.shorten(path)
                                + " within dlm.operation.timeout");
            }
            if (!ok) {
                throw new LockException(
                        LockError.INTERNAL_ERROR, "ZooKeeper refused a watch on " + ZooKeeperCalls.shorten(path));
            }
        }
    }

    /** One caller's registration; closing it twice is harmless. */
    private final class Registration implements Watch {
        private final String path;
        private final Runnable listener;
        private final AtomicBoolean done = new AtomicBoolean();

        Registration(String path, Runnable listener) {
            this.path = path;
            this.listener = listener;
        }

        @Override
        public void close() {
            if (done.compareAndSet(false, true) && !closed) {
                release(path, listener);
            }
        }
    }
}
