package io.dlm.backend.zookeeper;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;

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
     * The member that leads now.
     *
     * @param cluster the ensemble
     * @return its spec
     */
    static InstanceSpec leader(TestingCluster cluster) {
        for (InstanceSpec spec : cluster.getInstances()) {
            if (isLeader(spec)) {
                return spec;
            }
        }
        throw new AssertionError("no leader in " + cluster.getInstances());
    }

    /**
     * A member that follows now.
     *
     * @param cluster the ensemble
     * @return its spec
     */
    static InstanceSpec follower(TestingCluster cluster) {
        for (InstanceSpec spec : cluster.getInstances()) {
            if (TestZooKeeper.fourLetterWord(spec.getPort(), "srvr").contains("Mode: follower")) {
                return spec;
            }
        }
        throw new AssertionError("no follower in " + cluster.getInstances());
    }

    private static boolean isLeader(InstanceSpec spec) {
        try {
            return TestZooKeeper.fourLetterWord(spec.getPort(), "srvr").contains("Mode: leader");
        } catch (RuntimeException e) {
            return false; // a member that is down leads nothing
        }
    }
}
