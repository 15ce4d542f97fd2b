package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * S2: a lock held on after its work, until at least {@code holdAtLeast} after the acquisition,
 * without holding up the caller; kept alive meanwhile, then released in the background.
 */
abstract class HoldAtLeastRules extends RuleGroup {

    HoldAtLeastRules(LockManagerTck tck) {
        super(tck);
    }

    private Duration hold() {
        return scaled(1_500);
    }

    /** A rival's view of the lock: another manager where managers share locks, else the same. */
    private LockManager rivalOf(LockManager manager) {
        return sharedLockSpace() ? open(Map.of()) : manager;
    }

    /** Waits for the lock as a rival and returns how long after {@code start} it got it. */
    private Duration rivalAcquires(LockManager rival, String resource, long start, Duration wait) {
        Optional<Lease> got = rival.tryAcquire(resource, client("rival"), wait, longLease());
        assertThat(got).as("the rival's tryAcquire, waiting %s", wait).isPresent();
        return since(start);
    }

    @Test
    void S2_withLockHoldsTheLockUntilHoldAtLeastAfterTheAcquisitionWithoutHoldingUpTheCaller() {
        LockManager manager = manager();
        LockManager rival = rivalOf(manager);
        String resource = resource();
        Duration lease = effective(hold().multipliedBy(4));
        long start = System.nanoTime();
        String result = manager.withLock(resource, client("job"), Duration.ZERO, lease, hold(), held -> "ran");
        Duration returnedAfter = since(start);
        assertThat(result).isEqualTo("ran");
        assertThat(returnedAfter)
                .as("withLock returned, holding on in the background (S2)")
                .isLessThan(hold().dividedBy(2));
        assertThat(rival.tryAcquire(resource, client("early"), Duration.ZERO, longLease()))
                .as("a rival's tryAcquire right after the work returned")
                .isEmpty();
        Duration acquiredAfter = rivalAcquires(rival, resource, start, hold().multipliedBy(3));
        assertThat(acquiredAfter)
                .as(
                        "when the rival got the lock: not before holdAtLeast, and by a release, not at the end of"
                                + " the %s lease",
                        lease)
                .isGreaterThanOrEqualTo(hold())
                .isLessThan(hold().plus(prompt().multipliedBy(2)));
    }

    @Test
    void S2_aLockHeldOnIsKeptAliveUntilHoldAtLeastEvenPastItsLease() {
        LockManager manager = manager();
        LockManager rival = rivalOf(manager);
        String resource = resource();
        Duration lease = effective(hold().dividedBy(4));
        long start = System.nanoTime();
        manager.withLock(resource, client("job"), Duration.ZERO, lease, hold(), held -> null);
        Duration acquiredAfter = rivalAcquires(rival, resource, start, hold().multipliedBy(3));
        assertThat(acquiredAfter)
                .as("when the rival got a lock held on for %s with a %s lease (S2, K1)", hold(), lease)
                .isGreaterThanOrEqualTo(hold())
                .isLessThan(hold().plus(lease).plus(prompt().multipliedBy(2)));
    }

    @Test
    void S2_workLongerThanHoldAtLeastReleasesAtOnce() {
        LockManager manager = manager();
        LockManager rival = rivalOf(manager);
        String resource = resource();
        Duration shortHold = scaled(100);
        manager.withLock(resource, client("job"), Duration.ZERO, longLease(), shortHold, held -> {
            sleepUntil(System.nanoTime() + shortHold.multipliedBy(3).toNanos());
            return null;
        });
        long returned = System.nanoTime();
        Duration acquiredAfter = rivalAcquires(rival, resource, returned, prompt().multipliedBy(2));
        assertThat(acquiredAfter)
                .as("a rival after work that outlasted holdAtLeast (released at once)")
                .isLessThan(prompt());
    }

    @Test
    void S2_workThatThrowsHoldsTheLockOnAsWell() {
        LockManager manager = manager();
        LockManager rival = rivalOf(manager);
        String resource = resource();
        IllegalStateException failure = new IllegalStateException("the job failed");
        long start = System.nanoTime();
        Throwable thrown = catchThrowable(
                () -> manager.withLock(resource, client("job"), Duration.ZERO, longLease(), hold(), held -> {
                    throw failure;
                }));
        assertThat(thrown).as("what withLock threw").isSameAs(failure);
        assertThat(thrown.getSuppressed())
                .as("losses added to the work's exception")
                .isEmpty();
        Duration acquiredAfter = rivalAcquires(rival, resource, start, hold().multipliedBy(3));
        assertThat(acquiredAfter)
                .as("when the rival got a lock whose work threw: a failed run of a job is a run (S2)")
                .isGreaterThanOrEqualTo(hold())
                .isLessThan(hold().plus(prompt().multipliedBy(2)));
    }

    @Test
    void S2_releaseAfterHoldingCompletesWithTheReleaseOnceHeldLongEnough() throws Exception {
        LockManager manager = manager();
        String resource = resource();
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, longLease())
                .orElseThrow();
        CompletableFuture<Boolean> released = lease.releaseAfterHolding(hold()).toCompletableFuture();
        assertThat(since(start)).as("releaseAfterHolding returned at once").isLessThan(hold().dividedBy(2));
        assertThat(released).as("the release, before holdAtLeast").isNotDone();
        assertThat(lease.isValid()).as("the lease while held on").isTrue();
        Boolean outcome = released.get(hold().plus(prompt()).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(outcome).as("the release's outcome (S2, U1)").isTrue();
        assertThat(since(start)).as("when it was released").isGreaterThanOrEqualTo(hold());
        assertFree(manager, resource);
        assertThat(lease.isValid()).as("the lease after its release").isFalse();
    }

    /**
     * What runs when a held-on lock's release completes (an application's callback, the CDI
     * layer's {@code LockReleased} observers) runs on no thread that releases other held-on locks:
     * while the callbacks of three releases block, a fourth lock held on is still released when its
     * hold ends, and its own stage completes.
     */
    @Test
    void S2_callbacksThatBlockOnSomeReleasesDelayNoOtherRelease() throws Exception {
        LockManager manager = manager();
        List<Lease> blocked = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            blocked.add(manager.tryAcquire(resource(), client("blocked-" + i), Duration.ZERO, longLease())
                    .orElseThrow());
        }
        String last = resource();
        Lease lastLease = manager.tryAcquire(last, client("last"), Duration.ZERO, longLease())
                .orElseThrow();
        long start = System.nanoTime();
        CountDownLatch callbacksMayEnd = new CountDownLatch(1);
        CountDownLatch callbacksRun = new CountDownLatch(blocked.size());
        List<CompletableFuture<Void>> callbacks = new ArrayList<>();
        try {
            for (Lease lease : blocked) {
                CompletableFuture<Boolean> released =
                        lease.releaseAfterHolding(hold().dividedBy(2)).toCompletableFuture();
                assertThat(released)
                        .as("a release held on for %s", hold().dividedBy(2))
                        .isNotDone();
                callbacks.add(released.thenRun(() -> {
                    callbacksRun.countDown();
                    awaitQuietly(callbacksMayEnd, longLease());
                }));
            }
            CompletableFuture<Boolean> lastReleased =
                    lastLease.releaseAfterHolding(hold()).toCompletableFuture();
            assertThat(callbacksRun.await(hold().plus(prompt()).toMillis(), TimeUnit.MILLISECONDS))
                    .as("the three blocking callbacks started")
                    .isTrue();
            assertThat(catchThrowable(() -> lastReleased.get(
                            hold().plus(prompt().multipliedBy(2)).toMillis(), TimeUnit.MILLISECONDS)))
                    .as(
                            "the last release's stage, while three callbacks block (waited %s after its hold)",
                            prompt().multipliedBy(2))
                    .isNull();
            assertThat(lastReleased.getNow(false))
                    .as("the last release's outcome")
                    .isTrue();
            assertThat(since(start))
                    .as("when the last lock was released")
                    .isLessThan(hold().plus(prompt().multipliedBy(2)));
            assertFree(manager, last);
            assertThat(callbacks).as("the blocking callbacks, still blocked").noneMatch(CompletableFuture::isDone);
        } finally {
            callbacksMayEnd.countDown();
        }
    }

    private static void awaitQuietly(CountDownLatch latch, Duration atMost) {
        try {
            latch.await(atMost.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void S2_anInvalidHoldAtLeastIsRejectedByNameAndChangesNothing() {
        LockManager manager = manager();
        String resource = resource();
        AtomicBoolean ran = new AtomicBoolean();
        Throwable negative = catchThrowable(() ->
                manager.withLock(resource, client("job"), Duration.ZERO, longLease(), Duration.ofMillis(-1), held -> {
                    ran.set(true);
                    return null;
                }));
        assertThat(negative)
                .as("withLock with a negative holdAtLeast (V2)")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holdAtLeast");
        assertThat(ran).as("the work ran").isFalse();
        assertFree(manager, resource);
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, longLease())
                .orElseThrow();
        assertThat(catchThrowable(() -> lease.releaseAfterHolding(null)))
                .as("releaseAfterHolding(null)")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("holdAtLeast");
        assertThat(lease.isValid()).as("the lease after the rejected call").isTrue();
        assertHeldBy(manager, resource, lease.clientId());
    }

    @Test
    void S2_holdAtLeastCountsFromTheAcquisitionNotFromTheEndOfTheWork() throws Exception {
        LockManager manager = manager();
        String resource = resource();
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, longLease())
                .orElseThrow();
        // The work took most of the hold: a third of it is left.
        sleepUntil(start + hold().multipliedBy(2).dividedBy(3).toNanos());
        CompletableFuture<Boolean> released = lease.releaseAfterHolding(hold()).toCompletableFuture();
        assertThat(released.get(hold().plus(prompt()).toMillis(), TimeUnit.MILLISECONDS))
                .isTrue();
        assertThat(since(start))
                .as(
                        "when a lock held %s with %s left of holdAtLeast was released: %s after the acquisition,"
                                + " not after the call",
                        hold().multipliedBy(2).dividedBy(3), hold().dividedBy(3), hold())
                .isGreaterThanOrEqualTo(hold())
                .isLessThan(hold().plus(hold().dividedBy(2)));
    }

    @Test
    void S2_closingTheManagerReleasesALockHeldOnAtOnce() throws Exception {
        LockManager manager = open(Map.of());
        String resource = resource();
        Lease lease = manager.tryAcquire(resource, client("job"), Duration.ZERO, longLease())
                .orElseThrow();
        CompletableFuture<Boolean> released =
                lease.releaseAfterHolding(longLease()).toCompletableFuture();
        long start = System.nanoTime();
        manager.close();
        assertThat(since(start)).as("close() with a lock held on").isLessThan(prompt().multipliedBy(2));
        assertThat(released)
                .as("the held-on release, once close() returned (C1, S2)")
                .isCompletedWithValue(true);
        if (sharedLockSpace()) {
            LockManager rival = open(Map.of());
            assertThat(rival.tryAcquire(resource, client("rival"), prompt(), longLease()))
                    .as("a rival after close() released the lock held on (C1, S2)")
                    .isPresent();
        }
    }
}
