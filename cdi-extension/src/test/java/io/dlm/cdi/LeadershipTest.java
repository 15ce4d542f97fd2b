package io.dlm.cdi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.interceptor.LeadershipGranted;
import io.dlm.interceptor.LeadershipRevoked;
import io.dlm.tck.TckTimings;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * S4: the names in {@code dlm.leadership.names} are campaigned for from start-up to shutdown with
 * the application's client id, and observers hear {@link LeadershipGranted} and {@link
 * LeadershipRevoked}.
 */
class LeadershipTest {

    private static final Duration PATIENCE = TckTimings.scaled(Duration.ofSeconds(10));

    /** Records the leadership events, and what the manager said about the name at each revocation. */
    @Singleton // no client proxy: the test reads it after the container is gone
    static class LeadershipLog {
        final List<Object> events = new CopyOnWriteArrayList<>();
        /** Per revocation: the name's holder by then, or how asking the manager failed. */
        final List<String> holderWhenRevoked = new CopyOnWriteArrayList<>();

        @Inject
        LockManager manager;

        void granted(@Observes LeadershipGranted event) {
            events.add(event);
        }

        void revoked(@Observes LeadershipRevoked event) {
            try {
                Optional<LockInfo> holder = manager.inspect(event.name());
                holderWhenRevoked.add(holder.map(LockInfo::clientId).orElse("nobody"));
            } catch (RuntimeException closed) {
                holderWhenRevoked.add("no manager: " + closed);
            }
            events.add(event);
        }

        List<LeadershipGranted> granted() {
            return events.stream()
                    .filter(LeadershipGranted.class::isInstance)
                    .map(LeadershipGranted.class::cast)
                    .toList();
        }

        List<LeadershipRevoked> revoked() {
            return events.stream()
                    .filter(LeadershipRevoked.class::isInstance)
                    .map(LeadershipRevoked.class::cast)
                    .toList();
        }
    }

    @Test
    void S4_listedNamesAreLedFromStartUpAndResignedAtShutdownBeforeTheManagerCloses() {
        String first = "s4-first-" + UUID.randomUUID();
        String second = "s4-second-" + UUID.randomUUID();
        String unlisted = "s4-unlisted-" + UUID.randomUUID();
        LeadershipLog log;
        try (TestContainer container = TestContainer.start(
                Map.of(
                        LeadershipSettings.NAMES,
                        " " + first + ", ," + second + "," + first,
                        "dlm.client-id",
                        "s4-node"),
                LeadershipLog.class)) {
            log = container.get(LeadershipLog.class);
            await().atMost(PATIENCE)
                    .untilAsserted(() -> assertThat(log.granted())
                            .extracting(LeadershipGranted::name)
                            .containsExactlyInAnyOrder(first, second));
            LockManager manager = container.get(LockManager.class);
            for (LeadershipGranted granted : log.granted()) {
                assertThat(granted.clientId()).isEqualTo("s4-node");
                assertThat(manager.inspect(granted.name())).get().satisfies(info -> {
                    assertThat(info.clientId()).isEqualTo("s4-node");
                    assertThat(info.fencingToken()).isEqualTo(granted.fencingToken());
                });
            }
            assertThat(manager.inspect(unlisted)).isEmpty();
            assertThat(log.revoked()).isEmpty();
        }
        // Shutdown resigned each name, released it, and told the observers while the manager was open.
        assertThat(log.revoked())
                .extracting(LeadershipRevoked::name, LeadershipRevoked::clientId, LeadershipRevoked::reason)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(first, "s4-node", LeadershipRevoked.Reason.RESIGNED),
                        org.assertj.core.groups.Tuple.tuple(second, "s4-node", LeadershipRevoked.Reason.RESIGNED));
        for (LeadershipRevoked revoked : log.revoked()) {
            assertThat(revoked.fencingToken())
                    .isEqualTo(log.granted().stream()
                            .filter(granted -> granted.name().equals(revoked.name()))
                            .findFirst()
                            .orElseThrow()
                            .fencingToken());
        }
        assertThat(log.holderWhenRevoked).containsExactly("nobody", "nobody");
        assertThat(log.events).extracting(Object::toString).noneMatch(event -> event.contains(unlisted));
    }

    @Test
    void S4_aLostLeaseIsRevokedAndTheNameCampaignedForAgainWithAGreaterToken() {
        String name = "s4-lost-" + UUID.randomUUID();
        try (TestContainer container = TestContainer.start(
                Map.of(LeadershipSettings.NAMES, name, "dlm.client-id", "s4-node", LeadershipSettings.LEASE, "600ms"),
                ScriptedLockManager.class,
                LeadershipLog.class)) {
            ScriptedBackend engine = container.get(ScriptedLockManager.class).backend;
            LeadershipLog log = container.get(LeadershipLog.class);
            await().atMost(PATIENCE).until(() -> log.granted().size() == 1);

            engine.mode = ScriptedBackend.Renewals.REFUSE;
            await().atMost(PATIENCE).until(() -> !log.revoked().isEmpty());
            engine.mode = ScriptedBackend.Renewals.ANSWER;
            assertThat(log.revoked().get(0).reason()).isEqualTo(LeadershipRevoked.Reason.LOST);

            // Campaigning again, the application wins the name once the lost lease has expired.
            await().atMost(PATIENCE).until(() -> log.events.get(log.events.size() - 1) instanceof LeadershipGranted);
            assertAlternatingTermsWithGrowingTokens(log.events);
        }
    }

    @Test
    void S4_aNameThatIsNoValidIdFailsTheStartUpNamingTheSetting() {
        String tooLong = "s4-" + "x".repeat(1024);
        assertThatThrownBy(() -> TestContainer.start(Map.of(LeadershipSettings.NAMES, tooLong), LeadershipLog.class)
                        .close())
                .hasStackTraceContaining("DLM3002")
                .hasStackTraceContaining(LeadershipSettings.NAMES);
    }

    @Test
    void S4_settingsAreTheTrimmedNamesTheClientIdAndTheLease() {
        assertThat(LeadershipSettings.read(DlmConfig.of(Map.of()))).isEmpty();
        assertThat(LeadershipSettings.read(DlmConfig.of(Map.of(LeadershipSettings.NAMES, " , "))))
                .isEmpty();

        LeadershipSettings defaults = LeadershipSettings.read(DlmConfig.of(Map.of(LeadershipSettings.NAMES, "b, a ,b")))
                .orElseThrow();
        assertThat(defaults.names()).containsExactly("b", "a");
        assertThat(defaults.lease()).isEqualTo(LeadershipSettings.DEFAULT_LEASE);
        assertThat(defaults.clientId())
                .endsWith(":" + ProcessHandle.current().pid())
                .hasSizeGreaterThan(2);

        LeadershipSettings configured = LeadershipSettings.read(DlmConfig.of(Map.of(
                        LeadershipSettings.NAMES, "a",
                        LeadershipSettings.CLIENT_ID, "node-7",
                        LeadershipSettings.LEASE, "2s")))
                .orElseThrow();
        assertThat(configured.clientId()).isEqualTo("node-7");
        assertThat(configured.lease()).isEqualTo(Duration.ofSeconds(2));

        assertThatThrownBy(() -> LeadershipSettings.read(
                        DlmConfig.of(Map.of(LeadershipSettings.NAMES, "a", LeadershipSettings.LEASE, "0s"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("DLM1012")
                .hasMessageContaining(LeadershipSettings.LEASE);
    }

    /** Granted and revoked alternate, each revocation ends the term just granted, tokens grow (S3, F1). */
    private static void assertAlternatingTermsWithGrowingTokens(List<Object> events) {
        long lastToken = 0;
        for (int i = 0; i < events.size(); i++) {
            Object event = events.get(i);
            if (i % 2 == 0) {
                assertThat(event).as("event %d of %s", i, events).isInstanceOf(LeadershipGranted.class);
                long token = ((LeadershipGranted) event).fencingToken();
                assertThat(token).as("token of event %d of %s", i, events).isGreaterThan(lastToken);
                lastToken = token;
            } else {
                assertThat(event).as("event %d of %s", i, events).isInstanceOf(LeadershipRevoked.class);
                assertThat(((LeadershipRevoked) event).fencingToken()).isEqualTo(lastToken);
            }
        }
    }
}
