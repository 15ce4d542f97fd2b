package io.dlm.backend.zookeeper;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The TCK's fault tier on a real three-member ensemble: every client connects, through the tier's
 * proxy or straight, to one follower of it, so the faults hit the connection between a client and
 * its member while the ensemble keeps its quorum. N5 restarts that member: its clients lose their
 * connection, the member rejoins the quorum from its log, and tokens go on growing (F1).
 */
class ZooKeeperEnsembleFaultTest extends LockManagerFaultTck {

    private static final String BASE_PATH = TestZooKeeper.basePath(ZooKeeperEnsembleFaultTest.class);
    private static TestingCluster cluster;
    private static InstanceSpec member;

    @BeforeAll
    static void startEnsemble() throws Exception {
        cluster = TestEnsembles.start();
        member = TestEnsembles.follower(cluster);
    }

    @AfterAll
    static void stopEnsemble() throws Exception {
        cluster.close();
    }

    @Override
    protected String backendName() {
        return "zookeeper";
    }

    @Override
    protected InetSocketAddress engineAddress() {
        return new InetSocketAddress("127.0.0.1", member.getPort());
    }

    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.zookeeper.connect", host + ":" + port, "dlm.zookeeper.base-path", BASE_PATH);
    }

    /**
     * A session of 4 s: a client notices a silent connection only by its read timeout, two thirds of
     * the session, which must come within the tier's bounds.
     */
    @Override
    protected Map<String, String> properties() {
        return Map.of(ZooKeeperSettings.SESSION_TIMEOUT, "4s");
    }

    /** The leader stamps writes in whole milliseconds. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }

    @Override
    protected boolean canRestartEngine() {
        return true;
    }

    /** Restarts the member the clients use; it rejoins the quorum with its log. */
    @Override
    protected void restartEngine() throws Exception {
        if (!cluster.restartServer(member)) {
            throw new IllegalStateException("no member " + member + " to restart");
        }
        Awaitility.await("the restarted member serves again")
                .atMost(Duration.ofSeconds(30))
                .ignoreExceptions()
                .until(() ->
                        TestZooKeeper.fourLetterWord(member.getPort(), "srvr").contains("Mode: "));
    }

    /** The ZooKeeper client sleeps a random time of up to one second before each reconnection. */
    @Override
    protected Duration reconnectBackoff() {
        return Duration.ofSeconds(1);
    }
}
