package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.spi.LockBackend;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The local record that lets {@code close} release what this manager still holds (C1), by token,
 * and undo what it may hold without knowing (X5), by attempt.
 */
class HeldLeasesTest {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);
    private static final long GRACE = TimeUnit.SECONDS.toNanos(5);

    /** The record under test, new for each test. */
    private final HeldLeases held = new HeldLeases(GRACE);

    /** When the test starts, by the clock the record is given. */
    private final long now = System.nanoTime();

    @Test
    void releasedAndLostLeasesAreForgottenOnlyForTheirOwnHolder() {
        held.acquired("a", "one", 1, 10, HOUR, now);
        held.acquired("b", "two", 2, 20, HOUR, now);
        held.ended("a", "someone else", LockBackend.ANY_ACQUISITION);
        held.ended("b", "two", LockBackend.ANY_ACQUISITION);
        assertThat(live()).containsExactly("a one 10");
    }

    @Test
    void aReleaseOrRenewalByAnotherTokenLeavesTheLaterAcquisitionAlone() {
        held.acquired("r", "c", 1, 10, HOUR, now - 2 * HOUR);
        held.acquired("r", "c", 2, 11, HOUR, now - 2 * HOUR);
        held.renewed("r", "c", 10, now);
        held.ended("r", "c", 10);
        assertThat(live()).as("renewing token 10 did not push on token 11").isEmpty();
        held.renewed("r", "c", 11, now);
        assertThat(live()).containsExactly("r c 11");
        held.ended("r", "c", 11);
        assertThat(live()).isEmpty();
    }

    @Test
    void expiredLeasesAreNotReleasedAtCloseAndRenewalsKeepThemLive() {
        // Started two hours ago with a one-hour lease: long gone, grace included.
        held.acquired("expired", "c", 1, 10, HOUR, now - 2 * HOUR);
        held.acquired("renewed", "c", 2, 20, HOUR, now - 2 * HOUR);
        held.renewed("renewed", "c", LockBackend.ANY_ACQUISITION, now);
        held.acquired("centuries", "c", 3, 30, Long.MAX_VALUE, now - 2 * HOUR);
        assertThat(live()).containsExactlyInAnyOrder("renewed c 20", "centuries c 30");
    }

    @Test
    void anUnsettledAttemptIsUndoneAtCloseByAttemptBesideTheLeaseHeldOnTheSameResource() {
        held.acquired("r", "c", 1, 10, HOUR, now);
        held.unsettled("r", "c", 2, HOUR, now);
        held.unsettled("r", "other", 3, HOUR, now);
        assertThat(live()).containsExactlyInAnyOrder("r c 10", "r c attempt 2", "r other attempt 3");

        held.undoing("r", "c", 2);
        held.undone("r", "c", 2);
        held.undone("r", "other", 3);
        assertThat(live()).as("the lease held before stays").containsExactly("r c 10");
    }

    @Test
    void aLeaseThatIsBeingUndoneIsNoLongerHeldAndIsForgottenOnceTheUndoIsConfirmed() {
        held.acquired("r", "c", 7, 70, HOUR, now);
        held.undoing("r", "c", 6);
        assertThat(live()).as("another attempt's undo").containsExactly("r c 70");

        held.undoing("r", "c", 7);
        assertThat(live()).as("until Redis confirms the undo").containsExactly("r c attempt 7");
        held.renewed("r", "c", LockBackend.ANY_ACQUISITION, now);
        held.undone("r", "c", 7);
        assertThat(live()).isEmpty();
        assertThat(held.size()).isZero();
    }

    @Test
    void abandonedLeasesAreSweptSoTheRecordDoesNotGrowForever() {
        long longAgo = System.nanoTime() - 2 * HOUR;
        long shortLease = TimeUnit.MILLISECONDS.toNanos(100);
        for (int i = 0; i < 5_000; i++) {
            held.acquired("abandoned-" + i, "c", i, i + 1, shortLease, longAgo);
            held.unsettled("unsettled-" + i, "c", i, shortLease, longAgo);
        }
        held.acquired("live", "c", -1, 1, HOUR, System.nanoTime());
        assertThat(held.size()).isLessThan(1_100);
        assertThat(live()).containsExactly("live c 1");
    }

    /** What the record holds now, one line a lease or attempt. */
    private List<String> live() {
        return held.live().stream()
                .map(lease -> lease.resourceId + " " + lease.clientId + " "
                        + (lease.isUnsettled() ? "attempt " + lease.attempt : Long.toString(lease.token)))
                .toList();
    }
}
