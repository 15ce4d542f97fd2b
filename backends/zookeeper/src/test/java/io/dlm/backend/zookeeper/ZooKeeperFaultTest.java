package io.dlm.backend.zookeeper;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;

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
    protected InetSocketAddress engineAddress() {
        return new InetSocketAddress("127.0.0.1", TestZooKeeper.shared().getPort());
    }

    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.zookeeper.connect", host + ":" + port, "dlm.zookeeper.base-path", BASE_PATH);
    }

    /**
     * A short session. The ZooKeeper client notices a connection that went silent (a blackhole
     * leaves no reset) only by its read timeout, two thirds of the session timeout, and each new
     * connection it opens during the partition stays dead until its connect timeout (the session
     * timeout over the number of servers) has passed. With the default 15 s session a manager on
     * the far side of a healed partition is back only 10 to 25 s later; the tier's liveness check
     * (one lease plus the operation timeout, from the heal) asks for a session of a few seconds.
     */
    @Override
    protected Map<String, String> properties() {
        return Map.of("dlm.zookeeper.session-timeout", "4s");
    }

    /** The leader stamps writes in whole milliseconds. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }

    /** The ZooKeeper client sleeps a random time of up to one second before each reconnection. */
    @Override
    protected Duration reconnectBackoff() {
        return Duration.ofSeconds(1);
    }
}
