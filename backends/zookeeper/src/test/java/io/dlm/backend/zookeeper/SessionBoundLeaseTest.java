package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A lease longer than the ZooKeeper session is only as good as the session (K2): the ensemble ends
 * the session, and deletes the lock node, a session timeout after it last heard from the holder,
 * whatever the lease says. So the local deadline counts the session timeout from each confirmation,
 * and the keep-alive renews often enough for it. Without this, a holder paused longer than its
 * session but not than its lease resumed with a valid lease while another client held the lock
 * (found by the S3 cross-process test with a 10 s lease on a 2 s session).
 */
class SessionBoundLeaseTest {

    private static final String BASE = TestZooKeeper.basePath(SessionBoundLeaseTest.class);
    private static final Duration SESSION = Duration.ofSeconds(2);

    private static TestBackends.Opened open() {
        return TestBackends.open(
                TestZooKeeper.shared().getConnectString(),
                BASE,
                "dlm.zookeeper.session-timeout",
                SESSION.toMillis() + "ms");
    }

    @Test
    void K2_aLeaseLongerThanTheSessionIsValidNoLongerThanTheSessionAfterItsConfirmation() {
        try (TestBackends.Opened holder = open()) {
            Lease lease = holder.manager()
                    .tryAcquire("long-lease", "holder", Duration.ZERO, Duration.ofMinutes(5))
                    .orElseThrow();
            assertThat(lease.remaining())
                    .as("the local validity of a 5 min lease on a %s session", SESSION)
                    .isPositive()
                    .isLessThanOrEqualTo(SESSION);
        }
    }

    @Test
    void K1_aKeptAliveLeaseLongerThanTheSessionStaysValidForManySessions() throws Exception {
        try (TestBackends.Opened holder = open()) {
            Lease lease = holder.manager()
                    .tryAcquire("kept", "holder", Duration.ZERO, Duration.ofMinutes(5))
                    .orElseThrow()
                    .keepAlive();
            long end = System.nanoTime() + SESSION.multipliedBy(3).toNanos();
            while (System.nanoTime() < end) {
                assertThat(lease.isValid())
                        .as("a kept-alive 5 min lease on a %s session (K1)", SESSION)
                        .isTrue();
                Thread.sleep(TckTimings.scaledMillis(50).toMillis());
            }
            assertThat(lease.release()).isTrue();
        }
    }
}
