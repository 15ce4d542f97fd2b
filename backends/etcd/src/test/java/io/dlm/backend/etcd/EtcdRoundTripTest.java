package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What each operation sends to etcd, counted by the server (H3 and the design's round-trip
 * budget): an uncontended acquire is one transaction with one keep-alive sent alongside (one round
 * trip), the keep-alive a message on a stream that stays open, a release one transaction, a
 * heartbeat one keep-alive with a local read of its key sent alongside (one round trip); no grant
 * and no revoke once the lease pool is warm. {@link EtcdRaftWritesTest} counts the Raft writes.
 */
class EtcdRoundTripTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final String[] METHODS = {"Txn", "Range", "LeaseGrant", "LeaseRevoke", "LeaseKeepAlive"};

    @Test
    void uncontendedAcquireAndReleaseCostTwoRoundTripsInAll() {
        try (LockManager manager = open()) {
            // The first pair grants the lease the pool keeps; the second reuses it and opens the
            // keep-alive stream that every later acquisition sends on.
            for (int i = 0; i < 2; i++) {
                assertThat(manager.lock("warm-up", "c", 0)).isTrue();
                assertThat(manager.unlock("warm-up", "c")).isTrue();
            }
            Map<String, Double> before = calls();
            double keepAlivesBefore = keepAliveMessages();
            int pairs = 20;
            for (int i = 0; i < pairs; i++) {
                assertThat(manager.lock("r" + i, "c", 0)).isTrue();
                assertThat(manager.unlock("r" + i, "c")).isTrue();
            }
            Map<String, Double> sent = since(before);
            assertThat(sent)
                    .as("calls for %d acquire+release pairs", pairs)
                    .containsEntry("Txn", 2.0 * pairs)
                    .containsEntry("Range", 0.0)
                    .containsEntry("LeaseGrant", 0.0)
                    .containsEntry("LeaseRevoke", 0.0);
            assertThat(keepAliveMessages() - keepAlivesBefore)
                    .as("keep-alives for %d acquisitions", pairs)
                    .isEqualTo(1.0 * pairs);
            assertThat(sent.get("LeaseKeepAlive"))
                    .as("keep-alive streams opened for %d acquisitions (all go on the one the warm-up opened)", pairs)
                    .isEqualTo(0.0);
        }
    }

    /**
     * An explicit heartbeat checks its key alongside the keep-alive, with a read-only transaction
     * of one serializable read: the member answers from its own store, with no Raft round and no
     * trip to the leader. It catches a key deleted while its lease lives (K3).
     */
    @Test
    void anExplicitHeartbeatIsOneKeepAliveAndOneLocalRead() {
        try (LockManager manager = open()) {
            assertThat(manager.lock("r", "c", 0)).isTrue();
            Map<String, Double> before = calls();
            int beats = 20;
            for (int i = 0; i < beats; i++) {
                assertThat(manager.heartbeat("r", "c")).isTrue();
            }
            assertThat(since(before))
                    .containsEntry("LeaseKeepAlive", 1.0 * beats)
                    .containsEntry("Txn", 1.0 * beats)
                    .containsEntry("Range", 0.0)
                    .containsEntry("LeaseGrant", 0.0);
        }
    }

    /**
     * The runtime's keep-alive checks the key at most once per lease length, however often it
     * renews: a thousand kept-alive leases must not double their requests (N7).
     */
    @Test
    void aKeptAliveLeaseChecksItsKeyAtMostOncePerLeaseLength() {
        try (LockManager manager = ETCD.open(EtcdExtension.freshNamespace("round-trips"))) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(3))
                    .orElseThrow()
                    .keepAlive();
            Map<String, Double> before = calls();
            // A 3 s lease is renewed about every second: wait for six renewals, about two leases.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> since(before).get("LeaseKeepAlive") >= 6);
            Map<String, Double> spent = since(before);
            assertThat(lease.isValid()).isTrue();
            assertThat(spent.get("Txn"))
                    .as("key checks in %s keep-alives of a 3 s lease", spent.get("LeaseKeepAlive"))
                    .isLessThanOrEqualTo(Math.ceil(spent.get("LeaseKeepAlive") / 3) + 1);
        }
    }

    private static LockManager open() {
        return ETCD.open(
                EtcdExtension.freshNamespace("round-trips"),
                // Long leases, so that no pooled lease goes stale on a stalled machine.
                "dlm.lease.min",
                "30s");
    }

    private static Map<String, Double> calls() {
        Map<String, Double> counts = new LinkedHashMap<>();
        for (String method : METHODS) {
            counts.put(
                    method,
                    ETCD.metric(ETCD.members().get(0), "grpc_server_started_total", "grpc_method=\"" + method + "\""));
        }
        return counts;
    }

    /** Keep-alive requests received, on all streams: a stream counts once in the calls, each request here. */
    private static double keepAliveMessages() {
        return ETCD.metric(ETCD.members().get(0), "grpc_server_msg_received_total", "grpc_method=\"LeaseKeepAlive\"");
    }

    private static Map<String, Double> since(Map<String, Double> before) {
        Map<String, Double> after = calls();
        after.replaceAll((method, count) -> count - before.get(method));
        return after;
    }
}
