package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * K1-K4: the runtime keeps leases alive, knows by its own clock until when a lease is certainly
 * held, reports a loss at the earliest moment it can know it, and lets a {@link Lease} act only on
 * its own acquisition.
 *
 * <p>Leases here are one second (rounded up to the engine's granularity, times the multiplier), so
 * that a renewal every third of it has room on a slow engine, and tests watch three of them pass.
 */
abstract class KeepAliveRules extends RuleGroup {

    /** The drift margin the tests open managers with: the contract's default, spelled out. */
    private static final String DRIFT = "1%";

    KeepAliveRules(LockManagerTck tck) {
        super(tck);
    }

    private Duration lease() {
        return effective(scaled(1_000));
    }

    private Duration localLease() {
        return lease().minus(lease().dividedBy(100));
    }

    private LockManager plainManager() {
        return open("dlm.lease.drift", DRIFT);
    }

    private LockManager managerWith(InjectedFaults faults) {
        return openWithFaults(faults, "dlm.lease.drift", DRIFT);
    }

    // ---- K1 -----------------------------------------------------------------------------------

    @Test
    void K1_keepAliveHoldsTheLeaseLongPastItsLength() {
        LockManager manager = plainManager();
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String resource = resource();
        Lease lease = manager.tryAcquire(resource, client("kept"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        long end = System.nanoTime() + lease().multipliedBy(3).toNanos();
        String rival = client("rival");
        while (System.nanoTime() < end) {
            assertThat(other.tryAcquire(resource, rival, Duration.ZERO, longLease()))
                    .as("a rival's tryAcquire while the lease is kept alive (K1)")
                    .isEmpty();
            assertThat(lease.isValid())
                    .as("isValid() of a kept-alive lease (K1, K2)")
                    .isTrue();
            sleepUntil(System.nanoTime() + lease().dividedBy(10).toNanos());
        }
        assertThat(lease.lost().toCompletableFuture())
                .as("lost() of a kept-alive lease")
                .isNotDone();
        assertThat(lease.release()).as("release() after three lease lengths").isTrue();
    }

    @Test
    void K1_keepAliveIsIdempotent() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        String resource = resource();
        Lease lease = manager.tryAcquire(resource, client("kept"), Duration.ZERO, lease())
                .orElseThrow();
        long start = System.nanoTime();
        for (int i = 0; i < 10; i++) {
            assertThat(lease.keepAlive())
                    .as("keepAlive() returns the lease itself")
                    .isSameAs(lease);
        }
        sleepUntil(start + lease().multipliedBy(2).toNanos());
        long elapsed = nanosSince(start);
        int sent = faults.renewalsOf(resource);
        // One renewal per third of the lease; ten calls must not start ten schedules.
        long oneSchedule = elapsed / lease().dividedBy(3).toNanos() + 2;
        assertThat((long) sent)
                .as(
                        "renewals sent in %s after ten keepAlive() calls (one schedule: at most %s)",
                        since(start), oneSchedule)
                .isBetween(1L, oneSchedule);
        assertThat(lease.isValid()).isTrue();
    }

    @Test
    void K1_aHungRenewalOfOneLeaseDoesNotHoldUpAnother() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String stuck = resource();
        String healthy = resource();
        faults.hangRenewals(stuck);
        Lease stuckLease = manager.tryAcquire(stuck, client("stuck"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        Lease healthyLease = manager.tryAcquire(healthy, client("healthy"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        long end = System.nanoTime() + lease().multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            assertThat(healthyLease.isValid())
                    .as("a lease whose renewals work, next to one whose renewal hangs (K1)")
                    .isTrue();
            sleepUntil(System.nanoTime() + lease().dividedBy(10).toNanos());
        }
        assertThat(other.tryAcquire(healthy, client("rival"), Duration.ZERO, longLease()))
                .as("a rival's tryAcquire of the healthy resource")
                .isEmpty();
        assertThat(stuckLease.isValid())
                .as("the lease whose renewals hang, after its deadline")
                .isFalse();
        assertThat(stuckLease.lost().toCompletableFuture()).isDone();
    }

    @Test
    void K1_renewalsSlowerThanTheirIntervalStillKeepTheLease() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String resource = resource();
        Duration lease = effective(scaled(1_500));
        // Each answer comes half a lease late: longer than the interval (a third), shorter than
        // the lease less the interval. Renewals must not wait for each other's answers (K1).
        faults.delayRenewalReplies(resource, lease.dividedBy(2));
        Lease kept = manager.tryAcquire(resource, client("kept"), Duration.ZERO, lease)
                .orElseThrow()
                .keepAlive();
        long end = System.nanoTime() + lease.multipliedBy(3).toNanos();
        while (System.nanoTime() < end) {
            assertThat(kept.isValid())
                    .as("a lease whose renewals each take half a lease to come back (K1)")
                    .isTrue();
            sleepUntil(System.nanoTime() + lease.dividedBy(10).toNanos());
        }
        assertThat(other.tryAcquire(resource, client("rival"), Duration.ZERO, longLease()))
                .isEmpty();
        assertThat(kept.lost().toCompletableFuture()).isNotDone();
    }

    @Test
    void K1_noRenewalIsSentOnceTheLeaseIsReleased() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        String resource = resource();
        Lease lease = manager.tryAcquire(resource, client("kept"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        await(lease().multipliedBy(2)).until(() -> faults.renewalsOf(resource) >= 1);
        assertThat(lease.release()).isTrue();
        int atRelease = faults.renewalsOf(resource);
        sleepUntil(System.nanoTime() + lease().toNanos());
        assertThat(faults.renewalsOf(resource))
                .as("renewals sent after release() returned (K1, D4)")
                .isEqualTo(atRelease);
        assertThat(lease.lost().toCompletableFuture())
                .as("lost() after a normal release (K3)")
                .isNotDone();
    }

    // ---- K2 -----------------------------------------------------------------------------------

    @Test
    void K2_isValidUntilTheLocalDeadlineThenFalse() {
        LockManager manager = plainManager();
        String resource = resource();
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, lease())
                .orElseThrow();
        long returned = System.nanoTime();
        assertThat(lease.isValid()).as("isValid() right after the acquisition").isTrue();
        assertThat(lease.remaining())
                .as("remaining() right after the acquisition: at most the lease less the drift margin")
                .isPositive()
                .isLessThanOrEqualTo(localLease());
        await(lease().plus(prompt())).until(() -> !lease.isValid());
        long invalidAt = System.nanoTime();
        assertThat(invalidAt - start)
                .as("isValid() turned false %s after the call; never before the lease less the margin", since(start))
                .isGreaterThanOrEqualTo(localLease().toNanos() - TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(invalidAt - returned)
                .as("isValid() turned false %s after the acquisition returned", since(returned))
                .isLessThanOrEqualTo(lease().plus(scaled(50)).toNanos());
        assertThat(lease.remaining()).isEqualTo(Duration.ZERO);
    }

    @Test
    void K2_theDeadlineCountsFromWhenTheRequestWasSent() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String resource = resource();
        Duration lateBy = lease().dividedBy(3);
        faults.delayAcquireReplies(resource, lateBy);
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, lease())
                .orElseThrow();
        assertThat(lease.remaining())
                .as("remaining() when the reply came %s after the engine granted the lease (K2: from the send)", lateBy)
                .isLessThanOrEqualTo(lease().minus(lateBy));
        // From the rival's side: the moment the engine hands the resource on, the holder must
        // already know its lease is over.
        String rival = client("rival");
        await(lease().multipliedBy(2).plus(expirySlack()))
                .pollInterval(Duration.ofMillis(2))
                .until(() -> other.tryAcquire(resource, rival, Duration.ZERO, longLease())
                        .isPresent());
        assertThat(lease.isValid())
                .as("isValid() of the old holder once a rival acquired the resource (K2)")
                .isFalse();
    }

    @Test
    void K2_releasedLeasesAndClosedManagersAreNotValid() {
        LockManager manager = plainManager();
        Lease released = manager.tryAcquire(resource(), client("a"), Duration.ZERO, longLease())
                .orElseThrow();
        assertThat(released.release()).isTrue();
        assertThat(released.isValid()).as("isValid() after release()").isFalse();
        assertThat(released.remaining()).as("remaining() after release()").isEqualTo(Duration.ZERO);
        Lease open = manager.tryAcquire(resource(), client("b"), Duration.ZERO, longLease())
                .orElseThrow()
                .keepAlive();
        manager.close();
        assertThat(open.isValid())
                .as("isValid() after the manager closed (K2, C1)")
                .isFalse();
        assertThat(open.remaining()).as("remaining() after the manager closed").isEqualTo(Duration.ZERO);
    }

    // ---- K3 -----------------------------------------------------------------------------------

    @Test
    void K3_aLeaseWhoseRenewalHangsIsLostAtItsLocalDeadline() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = managerWith(faults);
        String resource = resource();
        faults.hangRenewals(resource);
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, client("holder"), Duration.ZERO, lease())
                .orElseThrow();
        long returned = System.nanoTime();
        AtomicLong lostAt = new AtomicLong();
        CompletableFuture<LockException> lost =
                lease.keepAlive().lost().thenApply(e -> stamp(lostAt, e)).toCompletableFuture();
        LockException loss = lost.join();
        assertThat(loss.error()).as("the value lost() completes with (K3)").isEqualTo(LockError.LOCK_NOT_HELD);
        assertThat(lostAt.get() - start)
                .as("lost %s after the acquisition was sent: never before the local deadline", since(start))
                .isGreaterThanOrEqualTo(localLease().toNanos() - TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(lostAt.get() - returned)
                .as("lost at most 50 ms after the local deadline, while a renewal was in flight (K3)")
                .isLessThanOrEqualTo(localLease().plus(scaled(50)).toNanos());
    }

    @Test
    void K3_aRefusedRenewalIsALossAtOnce() {
        LockManager manager = plainManager();
        String resource = resource();
        String holder = client("holder");
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource, holder, Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        AtomicLong lostAt = new AtomicLong();
        CompletableFuture<LockException> lost =
                lease.lost().thenApply(e -> stamp(lostAt, e)).toCompletableFuture();
        // The seed's unlock acts by resource and client: the engine no longer has the lease, and
        // the next renewal is refused.
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(lost.join().error()).isEqualTo(LockError.LOCK_NOT_HELD);
        assertThat(lostAt.get() - start)
                .as("a refused renewal is reported at once, before the local deadline (K3)")
                .isLessThan(localLease().toNanos());
        assertThat(lease.isValid()).isFalse();
        assertThat(lease.renew()).as("renew() of a lost lease").isFalse();
    }

    @Test
    void K3_aLeaseNotKeptAliveIsLostAtItsLocalDeadline() {
        LockManager manager = plainManager();
        long start = System.nanoTime();
        Lease lease = manager.tryAcquire(resource(), client("holder"), Duration.ZERO, lease())
                .orElseThrow();
        long returned = System.nanoTime();
        AtomicLong lostAt = new AtomicLong();
        LockException loss = lease.lost()
                .thenApply(e -> stamp(lostAt, e))
                .toCompletableFuture()
                .join();
        assertThat(loss.error()).isEqualTo(LockError.LOCK_NOT_HELD);
        assertThat(lostAt.get() - start)
                .isGreaterThanOrEqualTo(localLease().toNanos() - TimeUnit.MILLISECONDS.toNanos(5));
        assertThat(lostAt.get() - returned)
                .isLessThanOrEqualTo(localLease().plus(scaled(50)).toNanos());
    }

    @Test
    void K3_lossCallbacksDoNotRunOnTheThreadThatRenewsOtherLeases() throws InterruptedException {
        LockManager manager = plainManager();
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String doomed = resource();
        String kept = resource();
        String doomedHolder = client("doomed");
        Lease keptLease = manager.tryAcquire(kept, client("kept"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        Lease doomedLease = manager.tryAcquire(doomed, doomedHolder, Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        CountDownLatch callbackRunning = new CountDownLatch(1);
        CountDownLatch unblock = new CountDownLatch(1);
        doomedLease.lost().thenRun(() -> {
            callbackRunning.countDown();
            try {
                unblock.await(); // an application callback that takes its time
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            assertThat(manager.unlock(doomed, doomedHolder)).isTrue();
            assertThat(callbackRunning.await(lease().multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS))
                    .as("the loss callback of the doomed lease ran")
                    .isTrue();
            sleepUntil(System.nanoTime() + lease().multipliedBy(2).toNanos());
            assertThat(keptLease.isValid())
                    .as("another lease while a loss callback blocks (K3: never on a renewing thread)")
                    .isTrue();
            assertThat(other.tryAcquire(kept, client("rival"), Duration.ZERO, longLease()))
                    .isEmpty();
        } finally {
            unblock.countDown();
        }
    }

    @Test
    void K3_lostCompletesOnceAndNeverAfterANormalRelease() {
        LockManager manager = plainManager();
        Lease released = manager.tryAcquire(resource(), client("a"), Duration.ZERO, lease())
                .orElseThrow()
                .keepAlive();
        CompletableFuture<LockException> neverLost = released.lost().toCompletableFuture();
        assertThat(released.release()).isTrue();
        sleepUntil(System.nanoTime() + lease().plus(expirySlack()).toNanos());
        assertThat(neverLost)
                .as("lost() of a released lease, a lease length later (K3)")
                .isNotDone();

        Lease expiring = manager.tryAcquire(resource(), client("b"), Duration.ZERO, lease())
                .orElseThrow();
        LockException first = expiring.lost().toCompletableFuture().join();
        assertThat(expiring.lost().toCompletableFuture().join())
                .as("lost() asked again: the same, single loss")
                .isSameAs(first);
        assertThat(expiring.lost().toCompletableFuture().isCompletedExceptionally())
                .as("lost() completes normally, with the exception as its value")
                .isFalse();
    }

    // ---- K4 -----------------------------------------------------------------------------------

    @Test
    void K4_anExpiredLeaseDoesNotTouchTheSameClientsNewAcquisition() {
        LockManager manager = plainManager();
        String resource = resource();
        String client = client("same");
        Lease old = manager.tryAcquire(resource, client, Duration.ZERO, shortLease())
                .orElseThrow();
        AtomicReference<Lease> fresh = new AtomicReference<>();
        await(effective(shortLease()).plus(expirySlack()).plus(prompt()))
                .until(() -> tryAcquireAgain(manager, resource, client)
                        .map(l -> {
                            fresh.set(l);
                            return true;
                        })
                        .orElse(false));
        Lease current = fresh.get();
        assertThat(current.fencingToken()).isGreaterThan(old.fencingToken());
        assertThat(old.renew())
                .as("renew() of the expired lease, after the same client acquired again (K4)")
                .isFalse();
        assertThat(old.release()).as("release() of the expired lease (K4)").isFalse();
        assertThat(holder(manager, resource).fencingToken())
                .as("the new acquisition is untouched by the old lease")
                .isEqualTo(current.fencingToken());
        assertThat(current.renew()).isTrue();
        assertThat(current.release()).isTrue();
    }

    /** Until the old lease expires, the same client's attempt fails as reentrant (L3). */
    private static Optional<Lease> tryAcquireAgain(LockManager manager, String resource, String client) {
        try {
            return manager.tryAcquire(resource, client, Duration.ZERO, longLease());
        } catch (LockException e) {
            if (e.error() == LockError.RESOURCE_LOCKED) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private static LockException stamp(AtomicLong at, LockException e) {
        at.set(System.nanoTime());
        return e;
    }
}
