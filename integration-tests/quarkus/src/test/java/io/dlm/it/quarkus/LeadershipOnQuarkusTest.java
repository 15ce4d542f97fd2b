package io.dlm.it.quarkus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockManager;
import io.dlm.interceptor.LeadershipGranted;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * S4 in CDI Lite: the build compatible extension adds the campaigns, so a name listed in {@code
 * dlm.leadership.names} is led from start-up with the configured client id, and observers hear of
 * it.
 */
@QuarkusTest
@TestProfile(LeadershipOnQuarkusTest.Leading.class)
class LeadershipOnQuarkusTest {

    /** The application campaigns for one name; the other tests' applications for none. */
    public static class Leading implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("dlm.leadership.names", "quarkus-leader", "dlm.client-id", "quarkus-node");
        }
    }

    @Inject
    LeadershipLog leadership;

    @Inject
    LockManager manager;

    @Test
    void S4_theListedNameIsLedFromStartUpAsTheConfiguredClient() {
        LeadershipGranted granted = await().atMost(Duration.ofSeconds(30))
                .until(() -> leadership.granted().stream().findFirst().orElse(null), term -> term != null);
        assertThat(granted.name()).isEqualTo("quarkus-leader");
        assertThat(granted.clientId()).isEqualTo("quarkus-node");
        assertThat(manager.inspect("quarkus-leader")).get().satisfies(info -> {
            assertThat(info.clientId()).isEqualTo("quarkus-node");
            assertThat(info.fencingToken()).isEqualTo(granted.fencingToken());
        });
    }
}
