package io.dlm.backend.etcd;

import io.dlm.LockManager;
import io.dlm.LockManagers;
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
class EtcdFaultTest extends EtcdFaultTck {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    private static final String NAMESPACE = "/dlm-test/faults-" + UUID.randomUUID() + "/";

    EtcdFaultTest() {
        super(ETCD, NAMESPACE);
    }

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
    EtcdMember clientsMember() {
        return ETCD.members().get(0);
    }
}
