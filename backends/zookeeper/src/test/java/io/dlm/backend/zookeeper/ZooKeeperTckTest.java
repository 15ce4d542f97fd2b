package io.dlm.backend.zookeeper;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Runs the whole TCK against a real ZooKeeper server, through {@link LockManagers} as users open
 * the backend. All managers share the server and this class's base path: one lock space.
 */
class ZooKeeperTckTest extends SharedLockSpaceTck {

    private static final String BASE_PATH = TestZooKeeper.basePath(ZooKeeperTckTest.class);

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open("zookeeper", withServer(properties));
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated("zookeeper", decorator), withServer(properties));
    }

    private static Map<String, String> withServer(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put("dlm.zookeeper.connect", TestZooKeeper.shared().getConnectString());
        all.put("dlm.zookeeper.base-path", BASE_PATH);
        return all;
    }

    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1); // the leader stamps writes in whole milliseconds
    }
}
