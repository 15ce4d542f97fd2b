package io.dlm.backend.zookeeper;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.OperationTimeoutTck;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Issue 18 on ZooKeeper: the shortest {@code dlm.operation.timeout} the backend takes, 1 ms, works
 * against a real server (the backend gives Curator no retry policy to fit, and ZooKeeper's
 * request timeout is whole milliseconds), and anything shorter fails {@code open} naming the key
 * and the least value. The session is set up after {@code open}, which the X1 test's retries
 * cover.
 */
class ZooKeeperOperationTimeoutTest extends OperationTimeoutTck {

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperOperationTimeoutTest.class);

    @Override
    protected LockManager openManager(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.putAll(TestBackends.settings(TestZooKeeper.shared().getConnectString(), BASE));
        return LockManagers.open("zookeeper", all);
    }

    @Override
    protected Duration leastOperationTimeout() {
        return Duration.ofMillis(1);
    }
}
