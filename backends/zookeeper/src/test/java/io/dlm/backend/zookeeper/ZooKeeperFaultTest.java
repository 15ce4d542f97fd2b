package io.dlm.backend.zookeeper;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The TCK's fault tier on one real ZooKeeper server (the shared test server), through the tier's TCP
 * fault proxy. The ensemble faults (a member isolated, a leader lost or with a wrong clock) are the
 * ZooKeeper module's own tests.
 */
class ZooKeeperFaultTest extends LockManagerFaultTck {

    private static final String BASE_PATH = TestZooKeeper.basePath(ZooKeeperFaultTest.class);

    @Override
    protected String backendName() {
        return "zookeeper";
    }

    @Override
    protected Optional<InetSocketAddress> engineAddress() {
        return Optional.of(
                new InetSocketAddress("127.0.0.1", TestZooKeeper.shared().getPort()));
    }

    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.zookeeper.connect", host + ":" + port, "dlm.zookeeper.base-path", BASE_PATH);
    }

    /** The leader stamps writes in whole milliseconds. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }
}
