package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * K5 and X5: {@code withLock} runs work under a kept-alive lease and always releases it; an
 * acquisition whose outcome is unknown is undone before its error is thrown.
 */
abstract class WithLockRules extends RuleGroup {

    WithLockRules(LockManagerTck tck) {
        super(tck);
    }

    private Duration lease() {
        return effective(scaled(1_000));
    }

    // ---- K5 -----------------------------------------------------------------------------------

    @Test
    void K5_withLockRunsTheWorkUnderAKeptAliveLeaseAndReleasesIt() {
        LockManager manager = manager();
        LockManager other = sharedLockSpace() ? open(Map.of()) : manager;
        String resource = resource();
        String rival = client("rival");
        AtomicReference<Lease> seen = new AtomicReference<>();
        String result = manager.withLock(resource, client("worker"), Duration.ZERO, lease(), lease -> {
            seen.set(lease);
            long end = System.nanoTime() + lease().multipliedBy(3).toNanos();
            while (System.nanoTime() < end) {
                assertThat(other.tryAcquire(resource, rival, Duration.ZERO, longLease()))
                        .as("a rival's tryAcquire while withLock work runs three lease lengths (K5, K1)")
                        .isEmpty();
                sleepUntil(System.nanoTime() + lease().dividedBy(10).toNanos());
            }
            assertThat(lease.isValid()).isTrue();
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertFree(manager, resource);
        assertThat(seen.get().isValid()).as("the lease after withLock returned").isFalse();
    }

    @Test
    void K5_notAcquiredInTimeThrowsResourceLockedAndDoesNotRunTheWork() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        AtomicBoolean ran = new AtomicBoolean();
        long start = System.nanoTime();
        assertThrowsLockError(
                LockError.RESOURCE_LOCKED,
                () -> manager.withLock(resource, client("late"), scaled(200), lease(), lease -> {
                    ran.set(true);
                    return null;
                }));
        assertThat(since(start)).as("withLock waited its wait time").isGreaterThanOrEqualTo(scaled(200));
        assertThat(ran).as("work ran without the lock (K5)").isFalse();
    }

    @Test
    void K5_workThatThrowsStillReleasesAndItsExceptionPropagates() {
        LockManager manager = manager();
        String resource = resource();
        IllegalStateException failure = new IllegalStateException("work failed");
        Throwable thrown =
                catchThrowable(() -> manager.withLock(resource, client("worker"), Duration.ZERO, lease(), lease -> {
                    throw failure;
                }));
        assertThat(thrown).as("what withLock threw").isSameAs(failure);
        assertThat(thrown.getSuppressed())
                .as("suppressed: the lease was held throughout")
                .isEmpty();
        assertFree(manager, resource);
    }

    @Test
    void K5_checkedExceptionsOfTheWorkPropagateAsThemselves() {
        LockManager manager = manager();
        String resource = resource();
        java.io.IOException failure = new java.io.IOException("disk full");
        Throwable thrown = catchThrowable(() -> manager.<Void, java.io.IOException>withLock(
                resource, client("worker"), Duration.ZERO, lease(), lease -> {
                    throw failure;
                }));
        assertThat(thrown).isSameAs(failure);
        assertFree(manager, resource);
    }

    @Test
    void K5_aLeaseLostWhileTheWorkRanIsReportedAsLockNotHeld() {
        LockManager manager = manager();
        String resource = resource();
        String worker = client("worker");
        Throwable thrown = catchThrowable(() -> manager.withLock(resource, worker, Duration.ZERO, lease(), lease -> {
            // The seed's unlock acts by resource and client: the lease is gone behind the work's back.
            assertThat(manager.unlock(resource, worker)).isTrue();
            lease.lost().toCompletableFuture().join();
            return "finished anyway";
        }));
        assertLockError(thrown, LockError.LOCK_NOT_HELD);
    }

    @Test
    void K5_workThatThrowsAfterTheLossCarriesTheLossAsSuppressed() {
        LockManager manager = manager();
        String resource = resource();
        String worker = client("worker");
        IllegalStateException failure = new IllegalStateException("work failed");
        Throwable thrown = catchThrowable(() -> manager.withLock(resource, worker, Duration.ZERO, lease(), lease -> {
            assertThat(manager.unlock(resource, worker)).isTrue();
            lease.lost().toCompletableFuture().join();
            throw failure;
        }));
        assertThat(thrown).isSameAs(failure);
        assertThat(thrown.getSuppressed())
                .as("suppressed exceptions of the work's own exception (K5, D4)")
                .hasSize(1);
        assertLockError(thrown.getSuppressed()[0], LockError.LOCK_NOT_HELD);
    }

    // ---- X5 -----------------------------------------------------------------------------------

    @Test
    void X5_anAcquisitionWhoseReplyWasLostIsUndoneBeforeTheErrorIsThrown() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = openWithFaults(faults, "dlm.lease.min", millis(longLease()));
        String resource = resource();
        faults.loseAcquireReplies(resource);
        Throwable viaTryAcquire =
                catchThrowable(() -> manager.tryAcquire(resource, client("unlucky"), Duration.ZERO, longLease()));
        assertLockError(viaTryAcquire, LockError.INTERNAL_ERROR);
        assertThat(viaTryAcquire.getCause()).as("the cause attached (X1)").isNotNull();
        assertThat(manager.inspect(resource))
                .as(
                        "inspect right after tryAcquire failed: the engine granted it, the runtime must have undone it (X5)")
                .isEmpty();
        Throwable viaLock = catchThrowable(() -> manager.lock(resource, client("unlucky-too"), 0));
        assertLockError(viaLock, LockError.INTERNAL_ERROR);
        assertThat(manager.inspect(resource))
                .as("inspect right after lock failed (X5)")
                .isEmpty();
        faults.deliverAcquireReplies(resource);
        assertThat(manager.lock(resource, client("next"), 0))
                .as("the resource is free for the next client")
                .isTrue();
    }

    @Test
    void X5_theUndoNeverTakesAnAcquisitionTheClientAlreadyHeld() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = openWithFaults(faults, "dlm.lease.min", millis(longLease()));
        String resource = resource();
        String client = client("holder");
        assertThat(manager.lock(resource, client, 0)).isTrue();
        long token = holder(manager, resource).fencingToken();
        faults.loseAcquireReplies(resource);
        // The engine answers "held by you" (L3), but the reply is lost: the runtime undoes an
        // acquisition that did not happen, and must leave the earlier one alone.
        Throwable thrown = catchThrowable(() -> manager.lock(resource, client, 0));
        assertThat(thrown).isInstanceOf(LockException.class);
        assertThat(holder(manager, resource).fencingToken())
                .as("the earlier acquisition after an ambiguous one by the same client (X5)")
                .isEqualTo(token);
        assertHeldBy(manager, resource, client);
    }
}
