package io.dlm.tck.fault;

import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;

/**
 * The threads of a fault test: a step run in the background and the wait for its outcome, and the wait for a waiter to park
 * behind a holder before the fault starts (SPEC N4). Shared by {@link LockManagerFaultTck} and a
 * backend's own fault tests.
 */
public final class TestThreads {

    private TestThreads() {}

    /**
     * Runs {@code call} on a daemon thread of its own.
     *
     * @param name the thread's name, after {@code dlm-fault-}
     * @param call the step
     * @param <T> its result
     * @return its outcome, failed with whatever it threw
     */
    public static <T> CompletableFuture<T> background(String name, Callable<T> call) {
        CompletableFuture<T> outcome = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        outcome.complete(call.call());
                    } catch (Throwable e) {
                        outcome.completeExceptionally(e);
                    }
                },
                "dlm-fault-" + name);
        thread.setDaemon(true);
        thread.start();
        return outcome;
    }

    /**
     * The outcome of a step run in the {@link #background}, waited for no longer than {@code
     * within}; a step that threw or did not end fails the test (N1-N7: a fault test's steps end in
     * bounded time).
     *
     * @param future the step's outcome
     * @param within how long to wait for it
     * @param <T> its result
     * @return its result
     * @throws Exception if the waiting thread is interrupted
     */
    public static <T> T result(CompletableFuture<T> future, Duration within) throws Exception {
        try {
            return future.get(within.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("a background step threw", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("a background step did not end within " + within, e);
        }
    }

    /**
     * Waits until the thread in {@code thread[0]} is parked twice in a row, some time apart: past
     * its first try and waiting for a wake-up. Within ten seconds, scaled by the TCK's multiplier.
     *
     * @param thread holds the waiter's thread once it has started
     */
    public static void awaitParked(Thread[] thread) {
        Awaitility.await("the waiter parks")
                .atMost(TckTimings.scaledMillis(10_000))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> isParked(thread[0]) && pausedThen(() -> isParked(thread[0])));
    }

    private static boolean pausedThen(Callable<Boolean> check) throws Exception {
        Thread.sleep(100);
        return check.call();
    }

    private static boolean isParked(Thread thread) {
        if (thread == null) {
            return false;
        }
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }
}
