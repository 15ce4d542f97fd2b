package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * F1, A1 and X3: every acquisition of a resource gets a larger fencing token than any before it,
 * and the {@link Lease} handle from {@code tryAcquire} describes and controls that acquisition.
 */
abstract class FencingAndLeaseRules extends RuleGroup {

    FencingAndLeaseRules(LockManagerTck tck) {
        super(tck);
    }

    // ---- F1 -----------------------------------------------------------------------------------

    @Test
    void F1_tokensIncreaseAcrossLockAndUnlock() {
        LockManager manager = manager();
        String resource = resource();
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String client = client(i % 2 == 0 ? "even" : "odd");
            assertThat(manager.lock(resource, client, 0)).isTrue();
            tokens.add(holder(manager, resource).fencingToken());
            assertThat(manager.unlock(resource, client)).isTrue();
        }
        assertStrictlyIncreasing(tokens);
    }

    @Test
    void F1_tokensIncreaseAcrossExpiryTakeovers() {
        LockManager manager = manager();
        String resource = resource();
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            long start = System.nanoTime();
            Lease lease = manager.tryAcquire(resource, client("expiring"), Duration.ZERO, shortLease())
                    .orElseThrow();
            tokens.add(lease.fencingToken());
            sleepUntil(start + effective(shortLease()).plus(expirySlack()).toNanos());
        }
        String last = client("last");
        assertThat(manager.lock(resource, last, 0)).isTrue();
        tokens.add(holder(manager, resource).fencingToken());
        assertStrictlyIncreasing(tokens);
    }

    @Test
    void F1_tokensIncreaseMixingLockTryAcquireAndHandOver() {
        LockManager manager = manager();
        String resource = resource();
        List<Long> tokens = new ArrayList<>();
        String a = client("a");
        String b = client("b");
        for (int i = 0; i < 5; i++) {
            assertThat(manager.lock(resource, a, 0)).isTrue();
            tokens.add(holder(manager, resource).fencingToken());
            Background<Optional<Lease>> waiting = queuedTryAcquire(manager, resource, b, scaled(10_000));
            assertThat(manager.unlock(resource, a)).isTrue();
            Lease lease = waiting.result(prompt()).orElseThrow();
            tokens.add(lease.fencingToken());
            assertThat(lease.release()).isTrue();
        }
        assertStrictlyIncreasing(tokens);
    }

    // ---- A1 -----------------------------------------------------------------------------------

    @Test
    void A1_leaseNamesItsResourceClientAndToken() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        Lease lease =
                manager.tryAcquire(resource, client, Duration.ZERO, longLease()).orElseThrow();
        LockInfo info = holder(manager, resource);
        assertThat(lease.resourceId()).isEqualTo(resource);
        assertThat(lease.clientId()).isEqualTo(client);
        assertThat(lease.fencingToken()).isEqualTo(info.fencingToken());
        assertThat(info.clientId()).isEqualTo(client);
    }

    @Test
    void A1_tryAcquireOfAHeldResourceIsEmptyOnceTheWaitIsOver() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Duration wait = scaled(250);
        long start = System.nanoTime();
        assertThat(manager.tryAcquire(resource, client("other"), wait, longLease()))
                .isEmpty();
        assertThat(since(start)).isGreaterThanOrEqualTo(wait.minusMillis(10));
        assertHeldBy(manager, resource, holder);
    }

    @Test
    void A1_renewBehavesAsHeartbeat() {
        LockManager manager = manager();
        String resource = resource();
        Duration leaseTime = scaled(10_000);
        Lease lease = manager.tryAcquire(resource, client("c"), Duration.ZERO, leaseTime)
                .orElseThrow();
        assertThat(lease.renew()).isTrue();
        assertRemainingAbout(holder(manager, resource), leaseTime);
        assertThat(lease.release()).isTrue();
        assertThat(lease.renew()).as("renew after release").isFalse();
        assertFree(manager, resource);
    }

    @Test
    void A1_releaseBehavesAsUnlock() {
        LockManager manager = manager();
        String resource = resource();
        Lease lease = manager.tryAcquire(resource, client("c"), Duration.ZERO, longLease())
                .orElseThrow();
        assertThat(lease.release()).isTrue();
        assertFree(manager, resource);
        assertThat(lease.release()).as("second release").isFalse();
        assertThat(manager.lock(resource, client("next"), 0)).isTrue();
    }

    @Test
    void A1_closeReleasesAndASecondCloseIsHarmless() {
        LockManager manager = manager();
        String resource = resource();
        Lease kept;
        try (Lease lease = manager.tryAcquire(resource, client("c"), Duration.ZERO, longLease())
                .orElseThrow()) {
            kept = lease;
            assertHeldBy(manager, resource, lease.clientId());
        }
        assertFree(manager, resource);
        assertThatCode(kept::close).doesNotThrowAnyException();
        String next = client("next");
        assertThat(manager.lock(resource, next, 0)).isTrue();
        assertThatCode(kept::close).doesNotThrowAnyException();
        assertHeldBy(manager, resource, next);
    }

    @Test
    void A1_waitingTryAcquireReturnsTheLeaseOnRelease() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String waiter = client("waiter");
        Lease first =
                manager.tryAcquire(resource, holder, Duration.ZERO, longLease()).orElseThrow();
        Background<Optional<Lease>> waiting = queuedTryAcquire(manager, resource, waiter, scaled(10_000));
        first.close();
        Lease second = waiting.result(prompt()).orElseThrow();
        assertThat(second.clientId()).isEqualTo(waiter);
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        assertThat(holder(manager, resource).fencingToken()).isEqualTo(second.fencingToken());
    }

    // ---- X3 -----------------------------------------------------------------------------------

    @Test
    void X3_lostLeaseIsReportedByItsHelpersNotHidden() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, holder, Duration.ZERO, shortLease())
                .orElseThrow();
        sleepUntil(start + effective(shortLease()).plus(expirySlack()).toNanos());
        String next = client("next");
        assertThat(manager.lock(resource, next, 0)).isTrue();
        assertThat(lease.renew()).as("renew of a lost lease").isFalse();
        assertThat(lease.release()).as("release of a lost lease").isFalse();
        assertThatCode(lease::close).as("close of a lost lease").doesNotThrowAnyException();
        assertHeldBy(manager, resource, next);
    }
}
