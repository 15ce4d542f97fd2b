package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.tck.fault.ContendedWorkload;
import io.dlm.tck.fault.FaultRecording;
import io.dlm.tck.fault.HistoryChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * M1 and N5 on a real three-member ensemble whose leader is killed while clients in two sessions
 * contend for one resource: calls may fail with {@code INTERNAL_ERROR} during the election, but no
 * two clients are ever inside at once, no update is lost, and the clients lock again once a new
 * leader is elected. Every acquisition and critical section goes into a {@link io.dlm.tck.fault.History} that the
 * fault tier's {@link HistoryChecker} judges: no overlapping valid sections, fencing tokens that
 * never go backwards (F1), writes of a fenced store in token order (M3).
 */
class EnsembleFailoverTest {

    private static final String BASE = TestZooKeeper.basePath(EnsembleFailoverTest.class);
    private TestingCluster cluster;

    @RegisterExtension
    final FaultRecording recording = new FaultRecording();

    @BeforeEach
    void start() throws Exception {
        cluster = TestEnsembles.start();
        recording.track(cluster);
    }

    @Test
    void killingTheLeaderUnderContentionNeverLetsTwoClientsIn() throws Exception {
        List<LockManager> managers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            TestBackends.Opened opened = recording.track(open());
            managers.add(opened.awaitSession().manager());
        }
        try (ContendedWorkload work = ContendedWorkload.start(
                recording.recorder(), managers, 3, "contended", Duration.ofSeconds(3), Duration.ofSeconds(20))) {
            work.awaitSections(20, Duration.ofSeconds(20));
            InstanceSpec leader = TestEnsembles.leader(cluster);
            recording
                    .recorder()
                    .note("the leader (port " + leader.getPort() + ") is killed: its in-process server stops at once");
            assertThat(cluster.killServer(leader)).isTrue();
            int atKill = work.sections();
            work.awaitSections(atKill + 40, Duration.ofSeconds(60));
            work.stop();
            System.out.printf(
                    "ensemble failover: %d acquisitions, %d after killing the leader, %d calls failed meanwhile%n",
                    work.sections(), work.sections() - atKill, work.engineFailures());
            work.assertSafe();
        }
    }

    private TestBackends.Opened open() {
        return TestBackends.open(
                cluster.getConnectString(),
                BASE,
                "dlm.operation.timeout",
                "3s",
                "dlm.zookeeper.connection-timeout",
                "2s");
    }
}
