package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * C1, F1 and L4 across managers: the rules that only a lock space shared by several managers (a
 * remote engine's) can show. Run by {@link SharedLockSpaceTck}.
 */
abstract class SharedLockSpaceRules extends RuleGroup {

    SharedLockSpaceRules(LockManagerTck tck) {
        super(tck);
    }

    @Test
    void F1_tokensIncreaseAcrossManagersOfOneLockSpace() {
        String resource = resource();
        String client = client("c");
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            // Each manager stands for a restart of the process: it is closed before the next opens.
            LockManager manager = open("dlm.lease.min", millis(longLease()));
            assertThat(manager.lock(resource, client, 0)).isTrue();
            tokens.add(holder(manager, resource).fencingToken());
            assertThat(manager.unlock(resource, client)).isTrue();
            manager.close();
        }
        LockManager one = open("dlm.lease.min", millis(longLease()));
        LockManager two = open("dlm.lease.min", millis(longLease()));
        for (LockManager manager : List.of(one, two, one, two)) {
            assertThat(manager.lock(resource, client, 0)).isTrue();
            tokens.add(holder(manager, resource).fencingToken());
            assertThat(manager.unlock(resource, client)).isTrue();
        }
        assertStrictlyIncreasing(tokens);
    }

    @Test
    void L4_waiterOnAnotherManagerIsWokenByRelease() {
        LockManager holding = open("dlm.lease.min", millis(longLease()));
        LockManager waiting = open("dlm.lease.min", millis(longLease()));
        // A backend without notifications may poll with backoff (L4), so allow it a little longer.
        assertUnlockWakesAQueuedLock(holding, waiting, prompt().multipliedBy(2));
    }

    @Test
    void L4_waiterOnAnotherManagerIsWokenByExpiry() {
        LockManager holding = manager();
        LockManager waiting = open("dlm.lease.min", millis(longLease()));
        assertExpiryWakesALock(holding, waiting, resource(), client("waiter"), scaled(500), prompt().multipliedBy(2));
    }

    @Test
    void C1_managersOfASharedLockSpaceSeeEachOthersLocks() {
        LockManager one = manager();
        LockManager two = open("dlm.lease.min", millis(longLease()));
        String resource = resource();
        String holder = client("one");
        assertThat(one.lock(resource, holder, 0)).isTrue();
        assertHeldBy(two, resource, holder);
        assertThat(two.lock(resource, client("two"), 0)).isFalse();
    }

    @Test
    void C1_closeReleasesTheLocksHeldThroughTheManager() {
        LockManager closing = open("dlm.lease.min", millis(longLease()));
        LockManager other = manager();
        String resource = resource();
        assertThat(closing.lock(resource, client("holder"), 0)).isTrue();
        String next = client("next");
        closing.close();
        // Best effort within dlm.operation.timeout (5 s by default), far sooner than the lease.
        await(scaled(5_000).plus(prompt())).until(() -> other.lock(resource, next, 0));
        assertHeldBy(other, resource, next);
    }

    /**
     * C1 from a thread whose interrupt status is set, as in a shutdown that interrupts its workers
     * first: the locks are still released, not left held for their whole lease.
     */
    @Test
    void C1_closeFromAnInterruptedThreadStillReleasesTheLocksHeldThroughTheManager() {
        LockManager closing = open("dlm.lease.min", millis(longLease()));
        LockManager other = manager();
        String resource = resource();
        assertThat(closing.lock(resource, client("holder"), 0)).isTrue();
        String next = client("next");
        Thread.currentThread().interrupt();
        try {
            closing.close();
        } finally {
            Thread.interrupted();
        }
        await(scaled(5_000).plus(prompt())).until(() -> other.lock(resource, next, 0));
        assertHeldBy(other, resource, next);
    }
}
