package io.dlm.backend.zookeeper;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.zookeeper.KeeperException.Code;

/**
 * Deletes acquisitions that nobody will use (X5): one whose caller gave up before the reply came,
 * and one the runtime undoes after its call failed.
 *
 * <p>An undo deletes the acquisition's key node and the lock node in one transaction, without a
 * version: the key node is created and deleted only together with its lock node, so while it
 * exists the lock node is that acquisition's, and once it is gone the transaction fails and
 * touches nothing. A lock the client held before, or took by another attempt, has another key
 * node and is left alone.
 *
 * <p>Order: ZooKeeper applies the requests of one session in the order they were sent, so an undo
 * sent after its acquisition (on the same session) is applied after it, even when the acquisition
 * is still queued or its connection was lost with the request on the wire. An undo whose outcome
 * the connection hid is kept and sent again when Curator reconnects to the same session; when the
 * session ends, the ensemble deletes its nodes anyway and the kept undos are dropped.
 */
final class Undos {

    /** Enough for any burst of failures; beyond it, leases end what could not be undone. */
    private static final int MAX_PENDING = 10_000;

    private record Undo(String lock, String key) {}

    private final CuratorFramework client;
    private final ZooKeeperCalls calls;
    private final Set<Undo> pending = ConcurrentHashMap.newKeySet();

    Undos(CuratorFramework client, ZooKeeperCalls calls) {
        this.client = client;
        this.calls = calls;
    }

    /**
     * Undoes an acquisition and waits for the answer until {@code deadline}; never throws.
     *
     * @param lock the lock node
     * @param key the acquisition's key node
     * @param deadline a {@link System#nanoTime()} value
     */
    void undo(String lock, String key, long deadline) {
        Undo undo = new Undo(lock, key);
        try {
            // Deleted now, or never applied (or gone already): either way nothing of it is left.
            calls.uninterruptibly("undo the acquisition of", lock, deadline, callback -> submit(undo, callback));
            pending.remove(undo);
        } catch (RuntimeException e) {
            keep(undo);
        }
    }

    /**
     * Sends an undo without waiting for it; safe on ZooKeeper's event thread.
     *
     * @param lock the lock node
     * @param key the acquisition's key node
     */
    void undoInBackground(String lock, String key) {
        send(new Undo(lock, key));
    }

    /** The connection is back on the same session: sends again what could not be confirmed. */
    void retryPending() {
        for (Undo undo : pending) {
            send(undo);
        }
    }

    /** The session ended, and with it every node the kept undos would delete. */
    void sessionLost() {
        pending.clear();
    }

    /** How many undos wait for a reconnection, for tests. */
    int pendingCount() {
        return pending.size();
    }

    private void send(Undo undo) {
        try {
            submit(undo, (curator, event) -> {
                Code code = Code.get(event.getResultCode());
                if (code == Code.CONNECTIONLOSS || code == Code.OPERATIONTIMEOUT || code == Code.SESSIONMOVED) {
                    keep(undo); // may or may not have been applied: again after the reconnection
                } else {
                    pending.remove(undo); // done, nothing to do, or the session (and the node) is gone
                }
            });
        } catch (Exception e) {
            keep(undo); // e.g. the client is closing: then the session's end deletes the nodes
        }
    }

    private void submit(Undo undo, BackgroundCallback callback) throws Exception {
        client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp().delete().forPath(undo.key()),
                        client.transactionOp().delete().forPath(undo.lock()));
    }

    private void keep(Undo undo) {
        if (pending.size() < MAX_PENDING) {
            pending.add(undo);
        }
    }
}
