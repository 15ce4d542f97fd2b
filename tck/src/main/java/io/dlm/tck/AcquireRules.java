package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * L1, L2 and L3: a free resource is taken at once; a held one is waited for up to the timeout,
 * with no newcomer overtaking queued waiters; the holder asking again is refused at once.
 */
abstract class AcquireRules extends RuleGroup {

    AcquireRules(LockManagerTck tck) {
        super(tck);
    }

    // ---- L1 -----------------------------------------------------------------------------------

    @Test
    void L1_lockOnAFreeResourceTakesIt() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        assertThat(manager.lock(resource, client, 0)).isTrue();
        assertHeldBy(manager, resource, client);
    }

    @Test
    void L1_lockWithATimeoutOnAFreeResourceReturnsAtOnce() {
        LockManager manager = manager();
        String resource = resource();
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("c"), scaled(30_000).toMillis()))
                .isTrue();
        assertThat(since(start)).isLessThan(prompt());
    }

    @Test
    void L1_releasedResourceIsFreeForAnyClient() {
        LockManager manager = manager();
        String resource = resource();
        String first = client("first");
        String second = client("second");
        assertThat(manager.lock(resource, first, 0)).isTrue();
        assertThat(manager.unlock(resource, first)).isTrue();
        assertThat(manager.lock(resource, second, 0)).isTrue();
        assertHeldBy(manager, resource, second);
    }

    // ---- L2 -----------------------------------------------------------------------------------

    @Test
    void L2_waiterGetsTheLockWhenItIsReleased() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String waiter = client("waiter");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiting =
                queuedLock(manager, resource, waiter, scaled(10_000).toMillis());
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(waiting.result(prompt())).isTrue();
        assertHeldBy(manager, resource, waiter);
    }

    @Test
    void L2_waiterTimesOutWithFalseAfterTheTimeout() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Duration timeout = scaled(300);
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("waiter"), timeout.toMillis())).isFalse();
        assertThat(since(start))
                .as("time lock(r, c, %s) took to give up", timeout.toMillis())
                .isGreaterThanOrEqualTo(timeout.minusMillis(10))
                .isLessThan(timeout.plus(scaled(2_000)));
        assertHeldBy(manager, resource, holder);
    }

    @Test
    void L2_tryAcquireTimesOutEmptyAfterTheWait() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        Duration wait = scaled(300);
        long start = System.nanoTime();
        Optional<Lease> lease = manager.tryAcquire(resource, client("waiter"), wait, longLease());
        assertThat(lease).isEmpty();
        assertThat(since(start)).isGreaterThanOrEqualTo(wait.minusMillis(10)).isLessThan(wait.plus(scaled(2_000)));
    }

    @Test
    void L2_zeroTimeoutTriesOnceWithoutWaiting() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("other"), 0)).isFalse();
        assertThat(manager.tryAcquire(resource, client("other"), Duration.ZERO, longLease()))
                .isEmpty();
        assertThat(since(start)).isLessThan(prompt());
    }

    @Test
    void L2_newcomerWithZeroTimeoutDoesNotOvertakeAQueuedWaiter() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String waiter = client("waiter");
        String newcomer = client("newcomer");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiting =
                queuedLock(manager, resource, waiter, scaled(10_000).toMillis());
        assertThat(manager.lock(resource, newcomer, 0)).isFalse();
        // A barging newcomer slips in between the release and the waiter's wake-up. That gap may be
        // short, so newcomers keep trying on other threads while this one releases.
        AtomicBoolean stop = new AtomicBoolean();
        List<Background<Boolean>> spinners = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String spinner = client("spinning-newcomer");
            spinners.add(inBackground(spinner, () -> {
                while (!stop.get()) {
                    if (manager.lock(resource, spinner, 0)) {
                        return true;
                    }
                    Thread.onSpinWait();
                }
                return false;
            }));
        }
        assertThat(manager.unlock(resource, holder)).isTrue();
        boolean barged = manager.lock(resource, newcomer, 0);
        await(prompt().multipliedBy(2))
                .until(() -> barged || waiting.isDone() || spinners.stream().anyMatch(Background::isDone));
        stop.set(true);
        assertThat(barged)
                .as("newcomer's lock(r, c, 0) right after a release, with a waiter queued")
                .isFalse();
        for (Background<Boolean> spinner : spinners) {
            assertThat(spinner.result(prompt()))
                    .as("%s got the lock although a waiter was queued", spinner.name())
                    .isFalse();
        }
        assertThat(waiting.result(prompt())).isTrue();
        assertHeldBy(manager, resource, waiter);
        assertThat(manager.tryAcquire(resource, newcomer, Duration.ZERO, longLease()))
                .isEmpty();
    }

    @Test
    void L2_releaseHandsTheLockToTheLongestWaiter() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        List<String> clients = new ArrayList<>();
        List<Background<Boolean>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String waiter = client("waiter" + i + "-");
            clients.add(waiter);
            // Each waiter is queued before the next arrives, so arrival order is known.
            waiters.add(queuedLock(manager, resource, waiter, scaled(20_000).toMillis()));
        }
        String current = holder;
        for (int i = 0; i < clients.size(); i++) {
            assertThat(manager.unlock(resource, current)).isTrue();
            assertThat(waiters.get(i).result(prompt())).as("waiter %d", i).isTrue();
            assertHeldBy(manager, resource, clients.get(i));
            for (int later = i + 1; later < waiters.size(); later++) {
                assertThat(waiters.get(later).isDone())
                        .as("waiter %d finished before waiter %d", later, i)
                        .isFalse();
            }
            current = clients.get(i);
        }
    }

    // ---- L3 -----------------------------------------------------------------------------------

    @Test
    void L3_holderLockingAgainFailsAtOnceWithResourceLocked() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        LockInfo before = holder(manager, resource);
        long start = System.nanoTime();
        assertThrowsLockError(
                LockError.RESOURCE_LOCKED,
                () -> manager.lock(resource, holder, scaled(5_000).toMillis()));
        assertThat(since(start)).as("time to refuse the holder").isLessThan(prompt());
        assertUnchanged(manager, holder, before);
    }

    @Test
    void L3_holderTryAcquiringAgainFailsAtOnceWithResourceLocked() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.tryAcquire(resource, holder, Duration.ZERO, longLease()))
                .isPresent();
        LockInfo before = holder(manager, resource);
        long start = System.nanoTime();
        assertThrowsLockError(
                LockError.RESOURCE_LOCKED,
                () -> manager.tryAcquire(resource, holder, scaled(5_000), Duration.ofDays(1)));
        assertThat(since(start)).as("time to refuse the holder").isLessThan(prompt());
        assertUnchanged(manager, holder, before);
    }

    @Test
    void L3_anotherThreadOfTheHoldingClientFailsAtOnce() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        LockInfo before = holder(manager, resource);
        Background<Boolean> sameClient = inBackground(
                "lock by the holder's other thread",
                () -> manager.lock(resource, holder, scaled(5_000).toMillis()));
        assertLockError(sameClient.failure(prompt()), LockError.RESOURCE_LOCKED);
        assertUnchanged(manager, holder, before);
    }

    @Test
    void L3_waiterThatFindsItsOwnClientHoldingFailsAtOnce() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String client = client("twice");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        long timeout = scaled(20_000).toMillis();
        Background<Boolean> first = queuedLock(manager, resource, client, timeout);
        Background<Boolean> second = queuedLock(manager, resource, client, timeout);
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(first.result(prompt())).as("first waiter of the client").isTrue();
        assertLockError(second.failure(prompt()), LockError.RESOURCE_LOCKED);
        assertHeldBy(manager, resource, client);
    }
}
