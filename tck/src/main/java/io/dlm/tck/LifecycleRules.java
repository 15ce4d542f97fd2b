package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * C1, X1 and X2: closing a manager, being interrupted, and never hanging. Engine failures (the
 * rest of X1) need a way to break the engine, so each remote backend tests them in its own suite;
 * here X1 is what any backend shows: a waiter is never left hanging, and failures are exceptions,
 * not quiet {@code false}s.
 */
abstract class LifecycleRules extends RuleGroup {

    /**
     * Threads that belong to the JVM or the test harness, not to a manager: Awaitility's and this
     * TCK's helpers, the common pool (idle workers linger by design) and the JDK's own.
     */
    private static final List<String> NOT_THE_MANAGERS = List.of(
            "dlm-tck-", "awaitility", "ForkJoinPool.commonPool", "process reaper", "Attach Listener", "surefire");

    LifecycleRules(LockManagerTck tck) {
        super(tck);
    }

    // ---- C1 -----------------------------------------------------------------------------------

    @Test
    void C1_closeIsIdempotent() {
        LockManager manager = manager();
        manager.close();
        assertThatCode(manager::close).doesNotThrowAnyException();
        assertThatCode(manager::close).doesNotThrowAnyException();
    }

    @Test
    void C1_everyCallAfterCloseThrowsIllegalStateException() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        Lease lease =
                manager.tryAcquire(resource, client, Duration.ZERO, longLease()).orElseThrow();
        manager.close();
        String otherResource = resource();
        Map<String, ThrowingCallable> calls = Map.of(
                "lock", () -> manager.lock(otherResource, client, 0),
                "unlock", () -> manager.unlock(resource, client),
                "heartbeat", () -> manager.heartbeat(resource, client),
                "tryAcquire", () -> manager.tryAcquire(otherResource, client, Duration.ZERO, longLease()),
                "inspect", () -> manager.inspect(resource),
                "Lease.renew", lease::renew,
                "Lease.release", lease::release);
        List<Executable> checks = new ArrayList<>();
        calls.forEach((name, call) -> checks.add(
                () -> assertThatThrownBy(call).as("%s after close", name).isInstanceOf(IllegalStateException.class)));
        checks.add(
                () -> assertThatCode(lease::close).as("Lease.close after close").doesNotThrowAnyException());
        assertEach("C1 calls after close", checks);
    }

    @Test
    void C1_closeWakesAWaitingLockWithInternalError() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        Background<Boolean> waiter =
                queuedLock(manager, resource, client("waiter"), scaled(30_000).toMillis());
        manager.close();
        assertLockError(waiter.failure(prompt()), LockError.INTERNAL_ERROR);
    }

    @Test
    void C1_closeWakesAWaitingTryAcquireWithInternalError() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        String waiter = client("waiter");
        Background<Optional<Lease>> waiting = queuedTryAcquire(manager, resource, waiter, scaled(30_000));
        manager.close();
        assertLockError(waiting.failure(prompt()), LockError.INTERNAL_ERROR);
    }

    @Test
    void C1_closeStopsEveryThreadTheManagerStarted() {
        // A first manager starts whatever the backend shares per JVM, which may outlive it.
        exerciseAndClose(open("dlm.lease.min", millis(longLease())));
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        exerciseAndClose(open("dlm.lease.min", millis(longLease())));
        await(scaled(5_000))
                .untilAsserted(() -> assertThat(threadsStartedSince(before))
                        .as("threads still alive after close")
                        .isEmpty());
    }

    private void exerciseAndClose(LockManager manager) {
        String resource = resource();
        assertThat(manager.tryAcquire(resource, client("holder"), Duration.ZERO, longLease()))
                .isPresent();
        Background<Boolean> waiter =
                queuedLock(manager, resource, client("waiter"), scaled(30_000).toMillis());
        assertThat(manager.heartbeat(resource, client("nobody"))).isFalse();
        manager.close();
        assertLockError(waiter.failure(prompt()), LockError.INTERNAL_ERROR);
    }

    private static List<String> threadsStartedSince(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !before.contains(thread) && thread.isAlive())
                .map(Thread::getName)
                .filter(name -> NOT_THE_MANAGERS.stream().noneMatch(name::startsWith))
                .sorted()
                .collect(Collectors.toList());
    }

    // ---- X1 -----------------------------------------------------------------------------------

    @Test
    void X1_aWaitOnASlowEngineEndsWithinTheWaitPlusOneOperation() {
        InjectedFaults faults = new InjectedFaults();
        LockManager manager = openWithFaults(faults, "dlm.lease.min", millis(longLease()));
        LockManager holderSide = sharedLockSpace() ? open("dlm.lease.min", millis(longLease())) : manager;
        String resource = resource();
        assertThat(holderSide.lock(resource, client("holder"), 0)).isTrue();
        // A wait shorter than one call: the first try already uses it up, and nothing may follow
        // but the failure.
        Duration call = scaled(600);
        Duration wait = scaled(300);
        faults.slowDown(resource, call);
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("waiter"), wait.toMillis())).isFalse();
        // Every engine call of the wait counts against it; only the last may run past it (X1).
        assertThat(since(start))
                .as("lock(%s) on an engine whose every call takes %s", wait, call)
                .isLessThan(wait.plus(call).plus(scaled(200)));
    }

    @Test
    void X1_waiterWithoutTimeLimitIsNotLeftHangingByClose() {
        LockManager manager = manager();
        String resource = resource();
        assertThat(manager.lock(resource, client("holder"), 0)).isTrue();
        Background<Boolean> waiter = queuedLock(manager, resource, client("waiter"), Long.MAX_VALUE);
        manager.close();
        Throwable thrown = waiter.failure(prompt());
        assertLockError(thrown, LockError.INTERNAL_ERROR);
    }

    @Test
    void X1_failuresAreExceptionsNotQuietFalse() {
        LockManager manager = manager();
        String resource = resource();
        manager.close();
        // A closed manager cannot reach its engine: it must say so, not pretend the lock is taken.
        assertThatThrownBy(() -> manager.lock(resource, client("c"), 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> manager.tryAcquire(resource, client("c"), Duration.ZERO, longLease()))
                .isInstanceOf(IllegalStateException.class);
    }

    // ---- X2 -----------------------------------------------------------------------------------

    @Test
    void X2_alreadyInterruptedLockFailsWithInternalErrorAndTakesNothing() {
        LockManager manager = manager();
        String resource = resource();
        assertInterruptedCallFails(() -> manager.lock(resource, client("c"), 0));
        assertInterruptedCallFails(
                () -> manager.lock(resource, client("c"), scaled(5_000).toMillis()));
        assertFree(manager, resource);
    }

    @Test
    void X2_alreadyInterruptedTryAcquireFailsWithInternalErrorAndTakesNothing() {
        LockManager manager = manager();
        String resource = resource();
        assertInterruptedCallFails(() -> manager.tryAcquire(resource, client("c"), Duration.ZERO, longLease()));
        assertInterruptedCallFails(() -> manager.tryAcquire(resource, client("c"), scaled(5_000), longLease()));
        assertFree(manager, resource);
    }

    @Test
    void X2_interruptWhileWaitingInLockFailsWithInternalError() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiter =
                queuedLock(manager, resource, client("waiter"), scaled(30_000).toMillis());
        waiter.thread().interrupt();
        assertInterruptedFailure(waiter);
        assertHeldBy(manager, resource, holder);
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertFree(manager, resource);
    }

    @Test
    void X2_interruptWhileWaitingInTryAcquireFailsWithInternalError() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        String waiter = client("waiter");
        Background<Optional<Lease>> waiting = queuedTryAcquire(manager, resource, waiter, scaled(30_000));
        waiting.thread().interrupt();
        assertInterruptedFailure(waiting);
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertFree(manager, resource);
    }

    private static void assertInterruptedFailure(Background<?> waiter) {
        Throwable thrown = waiter.failure(prompt());
        assertLockError(thrown, LockError.INTERNAL_ERROR);
        assertThat(thrown.getCause()).isInstanceOf(InterruptedException.class);
        assertThat(waiter.interruptedAtEnd())
                .as("interrupt flag when the call ended")
                .isTrue();
    }

    /** Calls with the current thread interrupted; the flag is cleared again whatever happens. */
    private static void assertInterruptedCallFails(ThrowingCallable call) {
        Thread.currentThread().interrupt();
        boolean stillInterrupted;
        Throwable thrown;
        try {
            thrown = org.assertj.core.api.Assertions.catchThrowable(call);
        } finally {
            stillInterrupted = Thread.interrupted();
        }
        assertThat(thrown).as("call by an interrupted thread").isInstanceOf(LockException.class);
        assertLockError(thrown, LockError.INTERNAL_ERROR);
        assertThat(thrown.getCause()).isInstanceOf(InterruptedException.class);
        assertThat(stillInterrupted).as("interrupt flag after the call").isTrue();
    }
}
