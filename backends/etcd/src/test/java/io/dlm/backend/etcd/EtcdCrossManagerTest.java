package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One client id used through two managers (two processes, or a process restarted with the same
 * id): each manager can renew and release the client's lock taken through the other, a release
 * through one is seen at once by the other's heartbeat (H2), and no lease of one manager is ever
 * used for the other's locks.
 */
class EtcdCrossManagerTest {

    @RegisterExtension
    static final EtcdExtension ETCD = EtcdExtension.members(1);

    @Test
    void aClientsLockCanBeRenewedAndReleasedThroughAnotherManager() {
        Map<String, String> settings = ETCD.settings(EtcdExtension.freshNamespace("cross"), "dlm.lease.min", "30s");
        try (LockManager taking = LockManagers.open("etcd", settings);
                LockManager other = LockManagers.open("etcd", settings)) {
            assertThat(taking.lock("r", "c", 0)).isTrue();
            long token = taking.inspect("r").orElseThrow().fencingToken();
            assertThat(other.heartbeat("r", "c"))
                    .as("renew through the other manager")
                    .isTrue();
            assertThat(other.heartbeat("r", "someone-else")).isFalse();
            assertThat(other.unlock("r", "someone-else")).isFalse();

            assertThat(other.unlock("r", "c"))
                    .as("release through the other manager")
                    .isTrue();
            assertThat(taking.heartbeat("r", "c"))
                    .as("heartbeat after the release elsewhere")
                    .isFalse();
            assertThat(taking.unlock("r", "c")).isFalse();
            assertThat(taking.inspect("r")).isEmpty();

            // The taking manager's leases keep working for its next locks.
            assertThat(taking.lock("r", "d", 0)).isTrue();
            assertThat(taking.inspect("r").orElseThrow().fencingToken()).isGreaterThan(token);
            assertThat(taking.heartbeat("r", "d")).isTrue();
            assertThat(other.heartbeat("r", "c")).isFalse();
            assertThat(taking.unlock("r", "d")).isTrue();
        }
    }
}
