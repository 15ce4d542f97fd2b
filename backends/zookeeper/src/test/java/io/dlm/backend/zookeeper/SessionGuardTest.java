package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The give-up delay of {@link SessionGuard}: a third of the session, less max(a twelfth, 1 s). */
class SessionGuardTest {

    @Test
    void aSessionIsGivenUpBeforeTheEnsembleCanEndIt() {
        assertThat(SessionGuard.giveUpDelayMillis(15_000)).isEqualTo(3_750);
        assertThat(SessionGuard.giveUpDelayMillis(10_000)).isEqualTo(2_333);
        assertThat(SessionGuard.giveUpDelayMillis(5_000)).isEqualTo(666);
        assertThat(SessionGuard.giveUpDelayMillis(4_000)).isEqualTo(333);
        assertThat(SessionGuard.giveUpDelayMillis(40_000)).isEqualTo(10_000);
    }

    @Test
    void shortSessionsAreGivenUpAtTheDisconnection() {
        assertThat(SessionGuard.giveUpDelayMillis(3_000)).isZero();
        assertThat(SessionGuard.giveUpDelayMillis(1_000)).isZero();
    }
}
