package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * L4, L5 and U3: a waiter is woken by the release or expiry itself, not by its own timeout, and a
 * wait that ends without the lock leaves nothing that could later take it or hold others up.
 *
 * <p>Holders here keep {@link #longLease()}, so a waiter that returns promptly after a release
 * proves it was woken by the release and not by an expiry.
 */
abstract class WaitingRules extends RuleGroup {

    WaitingRules(LockManagerTck tck) {
        super(tck);
    }

    // ---- U3 and L4 ----------------------------------------------------------------------------

    @Test
    void U3_unlockWakesAWaitingLockAtOnce() {
        LockManager manager = manager();
        assertUnlockWakesAQueuedLock(manager, manager, prompt());
    }

    @Test
    void U3_releaseWakesAWaitingTryAcquireAtOnce() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Lease held =
                manager.tryAcquire(resource, holder, Duration.ZERO, longLease()).orElseThrow();
        String waiter = client("waiter");
        Background<Optional<Lease>> waiting = queuedTryAcquire(manager, resource, waiter, scaled(30_000));
        long released = System.nanoTime();
        assertThat(held.release()).isTrue();
        assertThat(waiting.result(prompt())).isPresent();
        assertThat(Duration.ofNanos(waiting.finishedAtNanos() - released)).isLessThan(prompt());
    }

    @Test
    void L4_waitingLockIsWokenByExpiry() {
        LockManager manager = manager();
        String resource = resource();
        String waiter = client("waiter");
        Duration lease = scaled(500);
        Duration took = assertExpiryWakesALock(manager, manager, resource, waiter, lease, prompt());
        assertThat(took)
                .as("time from acquisition of a %s lease to the waiter's return", lease)
                .isGreaterThanOrEqualTo(lease.minusMillis(10));
        assertHeldBy(manager, resource, waiter);
    }

    @Test
    void L4_expiryHandsTheLockToTheLongestWaiter() {
        LockManager manager = manager();
        String resource = resource();
        Duration lease = scaled(1_500);
        long start = acquireFor(manager, resource, client("holder"), lease);
        String first = client("first");
        String second = client("second");
        long timeout = scaled(30_000).toMillis();
        Background<Boolean> firstWaiting = queuedLock(manager, resource, first, timeout);
        Background<Boolean> secondWaiting = queuedLock(manager, resource, second, timeout);
        assumeTrue(nanosSince(start) < lease.toNanos(), "machine too slow: lease ran out while queueing");
        assertThat(firstWaiting.result(effective(lease).plus(expirySlack()).plus(prompt())))
                .isTrue();
        assertThat(secondWaiting.isDone())
                .as("second waiter done before the first released")
                .isFalse();
        assertThat(manager.unlock(resource, first)).isTrue();
        assertThat(secondWaiting.result(prompt())).isTrue();
    }

    // ---- L5 -----------------------------------------------------------------------------------

    @Test
    void L5_timedOutLockLeavesNothingBehind() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        assertThat(manager.lock(resource, client("gave-up"), scaled(200).toMillis()))
                .isFalse();
        assertNothingLeftBehind(manager, resource, holder);
    }

    @Test
    void L5_timedOutTryAcquireLeavesNothingBehind() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        assertThat(manager.tryAcquire(resource, client("gave-up"), scaled(200), longLease()))
                .isEmpty();
        assertNothingLeftBehind(manager, resource, holder);
    }

    @Test
    void L5_interruptedWaiterLeavesNothingBehind() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiter = queuedLock(
                manager, resource, client("interrupted"), scaled(30_000).toMillis());
        waiter.thread().interrupt();
        assertLockError(waiter.failure(prompt()), LockError.INTERNAL_ERROR);
        assertNothingLeftBehind(manager, resource, holder);
    }

    @Test
    void L5_manyTimedOutWaitersLeaveNothingBehind() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        List<Background<Boolean>> waiters = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String waiter = client("gave-up" + i + "-");
            long timeout = scaled(150 + 50L * i).toMillis();
            waiters.add(inBackground("lock(" + waiter + ")", () -> manager.lock(resource, waiter, timeout)));
        }
        for (Background<Boolean> waiter : waiters) {
            assertThat(waiter.result(scaled(500).plus(prompt()))).isFalse();
        }
        assertNothingLeftBehind(manager, resource, holder);
    }

    /**
     * After a wait ended without the lock, releasing must leave the resource free (no ghost waiter
     * took it) and a newcomer trying once must get it (no ghost waiter is queued ahead of it).
     */
    private static void assertNothingLeftBehind(LockManager manager, String resource, String holder) {
        assertHeldBy(manager, resource, holder);
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(manager.inspect(resource))
                .as("holder after release, with no waiter left")
                .isEmpty();
        String newcomer = "newcomer-after-" + holder;
        assertThat(manager.lock(resource, newcomer, 0))
                .as("newcomer's lock(r, c, 0) after every waiter gave up")
                .isTrue();
        assertHeldBy(manager, resource, newcomer);
    }
}
