package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Raft writes an uncontended acquire + release pair costs, counted by the server: two (the
 * acquiring transaction's put and the release's delete), and no lease grant or revocation, which
 * would be Raft writes too. The lease comes from the pool and is refreshed by a keep-alive, which
 * the leader handles in memory, without a Raft write. With one member and one thread, every Raft
 * write is one WAL fsync of its own.
 */
class EtcdRaftWritesTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final int PAIRS = 50;

    @Test
    void anUncontendedPairIsTwoRaftWritesAndTwoWalFsyncs() {
        try (LockManager manager = ETCD.open(
                EtcdExtension.freshNamespace("raft-writes"),
                // Long leases, so that no pooled lease goes stale on a stalled machine.
                "dlm.lease.min",
                "30s")) {
            // The first pair registers the namespace and grants the lease that the pool keeps.
            assertThat(manager.lock("warm-up", "c", 0)).isTrue();
            assertThat(manager.unlock("warm-up", "c")).isTrue();
            double committed = committed();
            double fsyncs = fsyncs();
            for (int i = 0; i < PAIRS; i++) {
                assertThat(manager.lock("r" + i, "c", 0)).isTrue();
                assertThat(manager.unlock("r" + i, "c")).isTrue();
            }
            assertThat((committed() - committed) / PAIRS)
                    .as("Raft entries committed per acquire+release pair")
                    .isEqualTo(2.0);
            assertThat((fsyncs() - fsyncs) / PAIRS)
                    .as("WAL fsyncs per acquire+release pair")
                    .isEqualTo(2.0);
        }
    }

    private static double committed() {
        return ETCD.metric(ETCD.members().get(0), "etcd_server_proposals_committed_total", "");
    }

    private static double fsyncs() {
        return ETCD.metric(ETCD.members().get(0), "etcd_disk_wal_fsync_duration_seconds_count", "");
    }
}
