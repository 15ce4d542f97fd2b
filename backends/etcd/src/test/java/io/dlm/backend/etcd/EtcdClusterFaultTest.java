package io.dlm.backend.etcd;

import java.util.UUID;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's fault tier (SPEC N1-N5, N7, M1) on a three-member etcd cluster: every client of the
 * tier is given one member only, the one leading when the test starts, and the tier's proxy sits in
 * front of that member's client port, so its faults hit the link between a client and a member of a
 * live quorum; N5 restarts that member, which rejoins with its data after another member took the
 * lead.
 *
 * <p>Why the leader: a follower forwards every lease keep-alive to the leader as an HTTP request
 * of its own between members (etcd 3.4), so N7's 3,000 renewals a second through a follower
 * measure how three etcd processes share two cores more than what the runtime does under load;
 * docs/backends/etcd.md gives the numbers. Keep-alives through a follower are tested at a
 * smaller scale by the isolation and failover tests. The faults of the cluster itself (a member cut
 * off from the quorum, a leader killed) are {@link EtcdIsolationTest} and {@link
 * EtcdClusterFailoverTest}.
 */
class EtcdClusterFaultTest extends EtcdFaultTck {

    @RegisterExtension
    static final EtcdExtension CLUSTER = EtcdExtension.members(3);

    private static final String NAMESPACE = "/dlm-test/cluster-faults-" + UUID.randomUUID() + "/";

    /** The member this test's clients use: the leader when the test first asked. */
    private EtcdMember clientsMember;

    EtcdClusterFaultTest() {
        super(CLUSTER, NAMESPACE);
    }

    @Override
    EtcdMember clientsMember() {
        if (clientsMember == null) {
            CLUSTER.awaitHealthy();
            clientsMember = CLUSTER.leader();
        }
        return clientsMember;
    }
}
