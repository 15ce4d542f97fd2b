package io.dlm.backend.zookeeper;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.awaitility.Awaitility;

/**
 * Real three-member ZooKeeper ensembles in this JVM (curator-test), with the ticks of {@link
 * TestZooKeeper} so that sessions of 1 to 10 s can be negotiated.
 */
final class TestEnsembles {

    private TestEnsembles() {}

    /**
     * Starts an ensemble of three members on free ports.
     *
     * @return the started cluster; the caller closes it
     * @throws Exception if it cannot start
     */
    static TestingCluster start() throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            specs.add(new InstanceSpec(null, -1, -1, -1, true, id, TestZooKeeper.TICK_MILLIS, -1, Map.of()));
        }
        TestingCluster cluster = new TestingCluster(specs);
        cluster.start();
        return cluster;
    }

    /**
     * The member that leads, once the ensemble has elected one.
     *
     * @param cluster the ensemble
     * @return its spec
     */
    static InstanceSpec leader(TestingCluster cluster) {
        return inMode(cluster, "leader");
    }

    /**
     * A member that follows, once the ensemble has elected a leader.
     *
     * @param cluster the ensemble
     * @return its spec
     */
    static InstanceSpec follower(TestingCluster cluster) {
        return inMode(cluster, "follower");
    }

    private static InstanceSpec inMode(TestingCluster cluster, String mode) {
        return Awaitility.await("a " + mode + " in " + cluster.getConnectString())
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(
                        () -> cluster.getInstances().stream()
                                .filter(spec -> mode(spec).equals(mode))
                                .findFirst(),
                        Optional::isPresent)
                .orElseThrow();
    }

    private static String mode(InstanceSpec spec) {
        try {
            String status = TestZooKeeper.fourLetterWord(spec.getPort(), "srvr");
            int at = status.indexOf("Mode: ");
            return at < 0
                    ? ""
                    : status.substring(at + 6).lines().findFirst().orElse("").trim();
        } catch (RuntimeException e) {
            return ""; // a member that is down has no mode
        }
    }
}
