package io.dlm.backend.zookeeper;

import java.util.List;
import java.util.function.IntConsumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.data.Stat;

/**
 * The requests this backend sends about one lock node and its key node: the read, and the
 * transactions that create, take over, release, renew and reap a lease (see the package
 * description for the layout). The blocking ones wait through {@link ZooKeeperCalls}, within the
 * call's deadline (X1); acquire and release go straight on the session's handle ({@link
 * Transactions}); the others, and the ones sent without waiting, on Curator's background API.
 * Which step comes when is decided by {@link LockRecipe}, {@link Renewals}, {@link AsyncRenewal},
 * {@link LockAdministration} and the {@link LeaseReaper}.
 */
final class LockNodeSteps {

    private static final byte[] EMPTY = new byte[0];

    private final CuratorFramework client;
    private final NodePaths paths;
    private final ZooKeeperCalls calls;
    private final Transactions transactions;
    private final Undos undos;
    private final Sightings sightings;

    /**
     * @param client the backend's Curator client
     * @param paths the backend's base path
     * @param calls bounds each blocking step by its call's deadline
     * @param transactions sends acquire's and release's transactions on the session's handle
     * @param undos deletes an acquisition whose reply came after its caller gave up (X5)
     * @param sightings forgotten for a lock node this backend deleted
     */
    LockNodeSteps(
            CuratorFramework client,
            NodePaths paths,
            ZooKeeperCalls calls,
            Transactions transactions,
            Undos undos,
            Sightings sightings) {
        this.client = client;
        this.paths = paths;
        this.calls = calls;
        this.transactions = transactions;
        this.undos = undos;
        this.sightings = sightings;
    }

    ZooKeeperCalls.Reply read(String lock, long deadline, boolean interruptible) {
        ZooKeeperCalls.Step step =
                callback -> client.getData().inBackground(callback).forPath(lock);
        return interruptible
                ? calls.interruptibly("read", lock, deadline, null, step)
                : calls.uninterruptibly("read", lock, deadline, step);
    }

    /**
     * Creates lock and key node; the lock node's create (first result) carries its stat, whose
     * {@code czxid} is the token.
     */
    ZooKeeperCalls.Reply create(String lock, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> transactions.send(
                List.of(transactions.createEphemeral(lock, data), transactions.createEphemeral(key, EMPTY)), callback);
        ZooKeeperCalls.Reply reply =
                calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        if (reply.code() == Code.NONODE) {
            // Only the base path can be missing: create it once, then try again.
            ensureBasePath(deadline);
            reply = calls.interruptibly("create", lock, deadline, late -> undos.undoInBackground(lock, key), step);
        }
        return reply;
    }

    /**
     * Deletes the expired lock node at the version read with its key node, and creates the new
     * pair; the lock node's create (third result) carries the token.
     */
    ZooKeeperCalls.Reply takeOver(String lock, int version, String oldKey, String key, byte[] data, long deadline) {
        ZooKeeperCalls.Step step = callback -> transactions.send(
                List.of(
                        Op.delete(lock, version),
                        Op.delete(oldKey, -1),
                        transactions.createEphemeral(lock, data),
                        transactions.createEphemeral(key, EMPTY)),
                callback);
        return calls.interruptibly(
                "take over the expired lease of", lock, deadline, late -> undos.undoInBackground(lock, key), step);
    }

    private void ensureBasePath(long deadline) {
        calls.interruptibly(
                "create the base path",
                paths.basePath(),
                deadline,
                null,
                callback -> client.create()
                        .creatingParentsIfNeeded()
                        .withMode(CreateMode.PERSISTENT)
                        .inBackground(callback)
                        .forPath(paths.basePath(), EMPTY));
    }

    /** Deletes key and lock node, the lock node only at the version of the lease's last write. */
    ZooKeeperCalls.Reply releaseAt(String lock, HeldLease lease, long deadline) {
        return releaseAt(lock, lease.keyPath(), lease.version(), deadline);
    }

    /**
     * Deletes a key node and its lock node at a version, in one transaction; the key node first,
     * so that a failure because it is gone shows as the first operation's.
     */
    ZooKeeperCalls.Reply releaseAt(String lock, String key, int version, long deadline) {
        return calls.uninterruptibly(
                "release",
                lock,
                deadline,
                callback -> transactions.send(List.of(Op.delete(key, -1), Op.delete(lock, version)), callback));
    }

    /**
     * Deletes a lease of this backend that ran out ({@link LeaseReaper}): its key node and its lock
     * node at the known version, so that a renewal that got there first keeps it. Never blocks.
     */
    void reap(String resourceId, HeldLease lease, IntConsumer resultCode) {
        String lock = paths.lockPath(resourceId);
        if (!client.getZookeeperClient().isConnected()) {
            // Curator would hold the calling thread (the timer's) for a second before it queues a
            // background step while disconnected: try again later instead.
            resultCode.accept(Code.CONNECTIONLOSS.intValue());
            return;
        }
        try {
            client.transaction()
                    .inBackground((curator, event) -> {
                        if (event.getResultCode() == Code.OK.intValue()) {
                            sightings.forget(lock);
                        }
                        resultCode.accept(event.getResultCode());
                    })
                    .forOperations(
                            client.transactionOp().delete().forPath(lease.keyPath()),
                            client.transactionOp()
                                    .delete()
                                    .withVersion(lease.version())
                                    .forPath(lock));
        } catch (Exception e) {
            resultCode.accept(Code.SYSTEMERROR.intValue());
        }
    }

    /** Checks the key node and rewrites the lock node, which changes its version (second result). */
    ZooKeeperCalls.Reply renewAt(String lock, HeldLease lease, long deadline) {
        return calls.uninterruptibly("renew", lock, deadline, callback -> submitRenewal(lock, lease, callback));
    }

    /**
     * Sends a renewal: checks the key node and rewrites the lock node at the known version.
     *
     * @param lock the lock node
     * @param lease the lease to renew, at its known version
     * @param callback gets the reply; its second result carries the write's stamp
     * @throws Exception if Curator refuses the request
     */
    void submitRenewal(String lock, HeldLease lease, BackgroundCallback callback) throws Exception {
        client.transaction()
                .inBackground(callback)
                .forOperations(
                        client.transactionOp().check().forPath(lease.keyPath()),
                        client.transactionOp()
                                .setData()
                                .withVersion(lease.version())
                                .forPath(lock, lease.data()));
    }

    /**
     * Sends a read of a lock node.
     *
     * @param lock the lock node
     * @param callback gets the data and stat
     * @throws Exception if Curator refuses the request
     */
    void submitRead(String lock, BackgroundCallback callback) throws Exception {
        client.getData().inBackground(callback).forPath(lock);
    }

    static Stat resultStat(ZooKeeperCalls.Reply reply, int index) {
        return reply.event().getOpResults().get(index).getResultStat();
    }

    /** The index of the operation that made a transaction fail, or {@code -1}. */
    static int failedOp(ZooKeeperCalls.Reply reply) {
        List<CuratorTransactionResult> results = reply.event().getOpResults();
        if (results != null) {
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).getError() != 0) {
                    return i;
                }
            }
        }
        return -1;
    }
}
