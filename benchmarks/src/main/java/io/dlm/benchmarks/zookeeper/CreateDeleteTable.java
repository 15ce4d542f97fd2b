package io.dlm.benchmarks.zookeeper;

import io.dlm.benchmarks.LockTable;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * The least a ZooKeeper lock can send, not a lock anyone should use (no lease, no fencing check on
 * release, client ids ignored): a synchronous create of an ephemeral node and a synchronous delete
 * of it, through Curator's plain node calls. Two writes per pair. It never waits: a lock tries once
 * whatever the timeout.
 */
final class CreateDeleteTable implements LockTable {

    private static final String BASE = "/raw-bench";
    private static final byte[] EMPTY = new byte[0];

    private final CuratorFramework client;

    CreateDeleteTable(CuratorFramework client) {
        this.client = client;
        try {
            client.blockUntilConnected();
            client.create().creatingParentsIfNeeded().forPath(BASE);
        } catch (KeeperException.NodeExistsException e) {
            // left by an earlier trial on the same server, or opened before
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return write(resourceId, true);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        return write(resourceId, false);
    }

    /** Creates or deletes the resource's node; false if it was there already, or was not there. */
    private boolean write(String resourceId, boolean create) {
        String path = BASE + "/" + resourceId;
        try {
            if (create) {
                client.create().withMode(CreateMode.EPHEMERAL).forPath(path, EMPTY);
            } else {
                client.delete().forPath(path);
            }
            return true;
        } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
            return false;
        } catch (Exception e) {
            throw new IllegalStateException((create ? "create of " : "delete of ") + path + " failed", e);
        }
    }

    @Override
    public boolean waits() {
        return false;
    }

    @Override
    public void close() {
        client.close();
    }
}
