package io.dlm.backend.zookeeper;

import java.util.ArrayList;
import java.util.List;
import org.apache.curator.CuratorConnectionLossException;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.curator.framework.api.CuratorEventType;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.CreateOptions;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;

/**
 * Sends the transactions of acquire and release straight on the session's ZooKeeper handle, for
 * two things Curator's transaction builder cannot give: a create whose result carries the new
 * node's {@link Stat} (ZooKeeper's {@code create2}), so that the fencing token comes back without a
 * third operation that writes the key node again; and one layer less on the hot path (Curator's
 * operation tracking, tracing and result wrapping). The reply reaches the same {@link
 * BackgroundCallback} as a Curator step would, on ZooKeeper's event thread, so {@link
 * ZooKeeperCalls} waits for it, bounds it and retries it as any other step.
 *
 * <p>The handle is Curator's: it carries the session and the digest credentials, and is replaced by
 * Curator after an expiry. Nodes are created with the backend's ACL, as Curator would create them.
 */
final class Transactions {

    private final CuratorFramework client;
    private final List<ACL> acl;

    /**
     * @param client the backend's Curator client
     * @param acl the ACL of every node the backend creates
     */
    Transactions(CuratorFramework client, List<ACL> acl) {
        this.client = client;
        this.acl = acl.isEmpty() ? ZooDefs.Ids.OPEN_ACL_UNSAFE : List.copyOf(acl);
    }

    /**
     * A create of an ephemeral node whose result carries the node's stat ({@code create2}).
     *
     * @param path the node
     * @param data its data
     * @return the operation
     */
    Op createEphemeral(String path, byte[] data) {
        return Op.create(
                path, data, CreateOptions.newBuilder(acl, CreateMode.EPHEMERAL).build());
    }

    /**
     * Sends a transaction; {@code callback} gets its result code and one result per operation (none
     * when the transaction never reached the server), as a Curator event of type {@code
     * TRANSACTION}.
     *
     * @param ops the operations, applied all or none
     * @param callback gets the reply
     * @throws Exception if Curator has no handle to give (closed)
     */
    void send(List<Op> ops, BackgroundCallback callback) throws Exception {
        ZooKeeper handle;
        try {
            handle = client.getZookeeperClient().getZooKeeper();
        } catch (CuratorConnectionLossException e) {
            // Curator gave up connecting for now: a lost connection, retried like any other.
            deliver(callback, ops, Code.CONNECTIONLOSS.intValue(), null);
            return;
        }
        handle.multi(ops, (rc, path, ctx, results) -> deliver(callback, ops, rc, results), null);
    }

    private void deliver(BackgroundCallback callback, List<Op> ops, int rc, @Nullable List<OpResult> results) {
        try {
            callback.processResult(client, new Reply(rc, wrap(ops, results)));
        } catch (Exception e) {
            // The callbacks of this backend complete a handoff and do not throw.
        }
    }

    private static @Nullable List<CuratorTransactionResult> wrap(List<Op> ops, @Nullable List<OpResult> results) {
        if (results == null || results.size() != ops.size()) {
            return null;
        }
        List<CuratorTransactionResult> wrapped = new ArrayList<>(results.size());
        for (int i = 0; i < results.size(); i++) {
            Op op = ops.get(i);
            OpResult result = results.get(i);
            OperationType type = typeOf(op);
            if (result instanceof OpResult.ErrorResult error) {
                wrapped.add(new CuratorTransactionResult(type, op.getPath(), null, null, error.getErr()));
            } else if (result instanceof OpResult.CreateResult created) {
                wrapped.add(new CuratorTransactionResult(type, op.getPath(), created.getPath(), created.getStat()));
            } else if (result instanceof OpResult.SetDataResult written) {
                wrapped.add(new CuratorTransactionResult(type, op.getPath(), null, written.getStat()));
            } else {
                wrapped.add(new CuratorTransactionResult(type, op.getPath(), null, null));
            }
        }
        return wrapped;
    }

    private static OperationType typeOf(Op op) {
        return switch (op.getType()) {
            case ZooDefs.OpCode.delete -> OperationType.DELETE;
            case ZooDefs.OpCode.setData -> OperationType.SET_DATA;
            case ZooDefs.OpCode.check -> OperationType.CHECK;
            default -> OperationType.CREATE;
        };
    }

    /** A transaction's reply in the shape of Curator's events, which {@link ZooKeeperCalls} reads. */
    private record Reply(int code, @Nullable List<CuratorTransactionResult> results) implements CuratorEvent {
        @Override
        public CuratorEventType getType() {
            return CuratorEventType.TRANSACTION;
        }

        /** ZooKeeper's code: that of the operation that failed, as Curator reports it too. */
        @Override
        public int getResultCode() {
            return code;
        }

        @Override
        public @Nullable String getPath() {
            return null;
        }

        @Override
        public @Nullable Object getContext() {
            return null;
        }

        @Override
        public @Nullable Stat getStat() {
            return null;
        }

        @Override
        public byte @Nullable [] getData() {
            return null;
        }

        @Override
        public @Nullable String getName() {
            return null;
        }

        @Override
        public @Nullable List<String> getChildren() {
            return null;
        }

        @Override
        public @Nullable List<ACL> getACLList() {
            return null;
        }

        @Override
        public @Nullable List<CuratorTransactionResult> getOpResults() {
            return results;
        }

        @Override
        public @Nullable WatchedEvent getWatchedEvent() {
            return null;
        }
    }
}
