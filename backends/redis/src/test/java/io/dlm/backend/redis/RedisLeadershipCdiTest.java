package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.cdi.DlmExtension;
import io.dlm.interceptor.LeadershipGranted;
import io.dlm.interceptor.LeadershipRevoked;
import io.dlm.tck.TckTimings;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.weld.environment.se.Weld;
import org.jboss.weld.environment.se.WeldContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * S4 across two applications: two Weld SE containers in this JVM, each with DLM's extension and
 * its own Redis-backed manager, campaign for one name in {@code dlm.leadership.names} with their
 * own {@code dlm.client-id}; when the leader shuts down, the other is granted the name.
 *
 * <p>Without MicroProfile Config on this class path the CDI layer reads system properties; each
 * container reads them as it starts, so the client id is set anew before each start.
 */
class RedisLeadershipCdiTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("leadership-cdi");

    private static final Duration LEASE = Duration.ofSeconds(2);
    /** The runtime's default {@code dlm.operation.timeout}. */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(5);

    /** Both applications' events; they carry the client id that tells the applications apart. */
    private static final List<Object> EVENTS = new CopyOnWriteArrayList<>();

    private final Map<String, String> settings = Map.of(
            "dlm.backend",
            "redis",
            "dlm.redis.uri",
            TestRedis.uri(),
            "dlm.redis.key-prefix",
            KEYS.prefix(),
            "dlm.leadership.names",
            "s4-leader-" + UUID.randomUUID(),
            "dlm.leadership.lease",
            LEASE.toMillis() + "ms");

    /** Records the leadership events of the application it is deployed in. */
    @Singleton
    static class LeadershipLog {
        void granted(@Observes LeadershipGranted event) {
            EVENTS.add(event);
        }

        void revoked(@Observes LeadershipRevoked event) {
            EVENTS.add(event);
        }
    }

    @AfterEach
    void clear() {
        for (String key : settings.keySet()) {
            System.clearProperty(key);
        }
        System.clearProperty("dlm.client-id");
        EVENTS.clear();
    }

    @Test
    void S4_whenTheLeaderShutsDownTheOtherApplicationIsGrantedTheNameWithAGreaterToken() {
        settings.forEach(System::setProperty);
        String name = settings.get("dlm.leadership.names");
        WeldContainer first = start("s4-first");
        WeldContainer second = null;
        try {
            LeadershipGranted firstTerm = await().atMost(TckTimings.scaled(OPERATION_TIMEOUT))
                    .until(() -> granted("s4-first"), term -> term != null);
            assertThat(firstTerm.name()).isEqualTo(name);

            second = start("s4-second");
            LockManager secondManager = second.select(LockManager.class).get();
            assertThat(secondManager.inspect(name))
                    .get()
                    .extracting(LockInfo::clientId)
                    .isEqualTo("s4-first");
            assertThat(granted("s4-second")).isNull();

            first.shutdown();
            assertThat(EVENTS)
                    .contains(new LeadershipRevoked(
                            name, "s4-first", firstTerm.fencingToken(), LeadershipRevoked.Reason.RESIGNED));
            LeadershipGranted secondTerm = await().atMost(TckTimings.scaled(LEASE.plus(OPERATION_TIMEOUT)))
                    .until(() -> granted("s4-second"), term -> term != null);
            assertThat(secondTerm.fencingToken()).isGreaterThan(firstTerm.fencingToken());
            assertThat(secondManager.inspect(name))
                    .get()
                    .satisfies(info -> assertThat(info.fencingToken()).isEqualTo(secondTerm.fencingToken()))
                    .extracting(LockInfo::clientId)
                    .isEqualTo("s4-second");

            second.shutdown();
            assertThat(EVENTS)
                    .last()
                    .isEqualTo(new LeadershipRevoked(
                            name, "s4-second", secondTerm.fencingToken(), LeadershipRevoked.Reason.RESIGNED));
        } finally {
            for (WeldContainer container : new WeldContainer[] {first, second}) {
                if (container != null && container.isRunning()) {
                    container.shutdown();
                }
            }
        }
    }

    private static WeldContainer start(String clientId) {
        System.setProperty("dlm.client-id", clientId);
        return new Weld()
                .containerId("dlm-" + clientId + "-" + System.nanoTime())
                .disableDiscovery()
                // With discovery off, Weld SE skips META-INF/services; add the extension itself.
                .addExtension(new DlmExtension())
                .addBeanClasses(LeadershipLog.class)
                .initialize();
    }

    /** The first term granted to the client, or {@code null}. */
    private static LeadershipGranted granted(String clientId) {
        return EVENTS.stream()
                .filter(LeadershipGranted.class::isInstance)
                .map(LeadershipGranted.class::cast)
                .filter(event -> event.clientId().equals(clientId))
                .findFirst()
                .orElse(null);
    }
}
