package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * U1, U2 and U4: only the holder of a live lease releases it, and no unlock, late or retried,
 * ever releases another client's lock. U4's engine failures belong to each backend's own tests; the
 * TCK checks the part anyone can see, that a repeated unlock never touches a later holder.
 */
abstract class ReleaseRules extends RuleGroup {

    ReleaseRules(LockManagerTck tck) {
        super(tck);
    }

    @Test
    void U1_holderUnlockReleasesAndReturnsTrue() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertFree(manager, resource);
        assertThat(manager.lock(resource, client("next"), 0)).isTrue();
    }

    @Test
    void U1_unlockReleasesALockTakenWithTryAcquire() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.tryAcquire(resource, holder, Duration.ZERO, longLease()))
                .isPresent();
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertFree(manager, resource);
    }

    @Test
    void U2_unlockByAnotherClientIsFalseAndKeepsTheLock() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        LockInfo before = holder(manager, resource);
        assertThat(manager.unlock(resource, client("intruder"))).isFalse();
        LockInfo after = holder(manager, resource);
        assertThat(after.clientId()).isEqualTo(holder);
        assertThat(after.fencingToken()).isEqualTo(before.fencingToken());
        assertThat(manager.lock(resource, client("other"), 0)).isFalse();
    }

    @Test
    void U2_unlockByAnotherClientDoesNotHandTheLockToAWaiter() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiting =
                queuedLock(manager, resource, client("waiter"), scaled(10_000).toMillis());
        assertThat(manager.unlock(resource, client("intruder"))).isFalse();
        assertHeldBy(manager, resource, holder);
        assertThat(waiting.isDone()).as("waiter done after a refused unlock").isFalse();
    }

    @Test
    void U2_unlockOfAFreeResourceIsFalse() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.unlock(resource, client("nobody"))).isFalse();
        assertFree(manager, resource);
    }

    @Test
    void U2_unlockOfAnExpiredLeaseIsFalse() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        long start = System.nanoTime();
        assertThat(manager.tryAcquire(resource, holder, Duration.ZERO, shortLease()))
                .isPresent();
        sleepUntil(start + effective(shortLease()).plus(expirySlack()).toNanos());
        assertThat(manager.unlock(resource, holder)).isFalse();
        assertFree(manager, resource);
    }

    @Test
    void U2_secondUnlockIsFalse() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(manager.unlock(resource, holder)).isFalse();
        assertFree(manager, resource);
    }

    @Test
    void U4_repeatedUnlockNeverReleasesALaterHolder() {
        LockManager manager = manager();
        String resource = resource();
        String first = client("first");
        String later = client("later");
        assertThat(manager.lock(resource, first, 0)).isTrue();
        assertThat(manager.unlock(resource, first)).isTrue();
        assertThat(manager.lock(resource, later, 0)).isTrue();
        assertThat(manager.unlock(resource, first)).as("a retried unlock").isFalse();
        assertHeldBy(manager, resource, later);
    }

    @Test
    void U4_lateUnlockAfterExpiryNeverReleasesALaterHolder() {
        LockManager manager = manager();
        String resource = resource();
        String first = client("first");
        String later = client("later");
        long start = System.nanoTime();
        assertThat(manager.tryAcquire(resource, first, Duration.ZERO, shortLease()))
                .isPresent();
        sleepUntil(start + effective(shortLease()).plus(expirySlack()).toNanos());
        assertThat(manager.lock(resource, later, 0)).isTrue();
        assertThat(manager.unlock(resource, first))
                .as("unlock by the expired holder")
                .isFalse();
        assertHeldBy(manager, resource, later);
    }
}
