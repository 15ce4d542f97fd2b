package io.dlm.backend.etcd;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's fault tier (SPEC N1-N5, N7, M1) on one real etcd member of this class's own, through the
 * tier's TCP fault proxy. The cluster faults (a member isolated from the quorum, a leader lost) are
 * the etcd module's own cluster tests.
 */
class EtcdFaultTest extends LockManagerFaultTck {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final String NAMESPACE = "/dlm-test/faults-" + UUID.randomUUID() + "/";

    /**
     * Loads the client's classes in this JVM before the first test: on a busy machine, the first
     * call of the first manager can take longer than the tier's one-second operation timeout.
     */
    @BeforeAll
    static void warmUp() {
        try (LockManager manager = LockManagers.open(
                "etcd", Map.of("dlm.etcd.endpoints", ETCD.endpoints(), "dlm.etcd.namespace", NAMESPACE))) {
            Awaitility.await("a first call to etcd")
                    .atMost(Duration.ofSeconds(20))
                    .ignoreExceptions()
                    .until(() -> manager.inspect("warm-up").isEmpty());
        }
    }

    @Override
    protected String backendName() {
        return "etcd";
    }

    @Override
    protected InetSocketAddress engineAddress() {
        URI endpoint = URI.create(ETCD.endpoints());
        return new InetSocketAddress(endpoint.getHost(), endpoint.getPort());
    }

    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.etcd.endpoints", "http://" + host + ":" + port, "dlm.etcd.namespace", NAMESPACE);
    }

    /** etcd leases are whole seconds (E1). */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofSeconds(1);
    }

    /**
     * How late etcd's leader deletes the key of an expired lease: it checks for expired leases
     * every 500 ms and revokes them through the log.
     */
    @Override
    protected Duration expiryLag() {
        return Duration.ofMillis(500);
    }

    /** The member is this class's own, so N5 may restart it; its data directory survives. */
    @Override
    protected boolean canRestartEngine() {
        return true;
    }

    @Override
    protected void restartEngine() {
        EtcdMember member = ETCD.members().get(0);
        member.stop();
        ETCD.start(member);
        ETCD.awaitHealthy();
    }
}
