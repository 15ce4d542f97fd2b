package io.dlm.tck;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One call run on its own thread, so a test can watch it wait, interrupt it and collect its result
 * or exception with a bounded wait. A raw {@link Thread} rather than a pool, because the tests need
 * its state (parked or not) and its interrupt flag at the end of the call.
 *
 * @param <T> what the call returns
 */
final class Background<T> {

    private final String name;
    private final Thread thread;
    private final CompletableFuture<T> outcome = new CompletableFuture<>();
    private volatile long finishedAtNanos;
    private volatile boolean interruptedAtEnd;

    private Background(String name, Callable<T> call) {
        this.name = name;
        this.thread = new Thread(() -> run(call), "dlm-tck-" + name);
        thread.setDaemon(true);
    }

    /**
     * Starts a call on a new daemon thread.
     *
     * @param name what the call is, for thread names and failure messages
     * @param call the call
     * @param <T> its result type
     * @return the running call
     */
    static <T> Background<T> start(String name, Callable<T> call) {
        Background<T> background = new Background<>(name, call);
        background.thread.start();
        return background;
    }

    private void run(Callable<T> call) {
        try {
            T value = call.call();
            finish();
            outcome.complete(value);
        } catch (Throwable failure) {
            finish();
            outcome.completeExceptionally(failure);
        }
    }

    private void finish() {
        finishedAtNanos = System.nanoTime();
        interruptedAtEnd = Thread.currentThread().isInterrupted();
    }

    Thread thread() {
        return thread;
    }

    String name() {
        return name;
    }

    boolean isDone() {
        return outcome.isDone();
    }

    /** When the call returned or threw, by {@link System#nanoTime()}; only valid once done. */
    long finishedAtNanos() {
        return finishedAtNanos;
    }

    /** Whether the thread's interrupt flag was set when the call ended (X2). */
    boolean interruptedAtEnd() {
        return interruptedAtEnd;
    }

    /** Whether the thread sits parked or sleeping, as a waiter does between wake-ups. */
    boolean isParked() {
        Thread.State state = thread.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
    }

    /**
     * The call's result, waiting at most {@code within} for it.
     *
     * @throws AssertionError if the call threw or is still running
     */
    T result(Duration within) {
        try {
            return outcome.get(within.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError(name + " threw instead of returning", e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError(name + " did not return within " + within, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name, e);
        }
    }

    /**
     * What the call threw, waiting at most {@code within} for it.
     *
     * @throws AssertionError if the call returned normally or is still running
     */
    Throwable failure(Duration within) {
        try {
            T value = outcome.get(within.toNanos(), TimeUnit.NANOSECONDS);
            throw new AssertionError(name + " returned " + value + " instead of throwing");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError(name + " did not end within " + within, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name, e);
        }
    }

    /** Stops a call left running by a failed test, so no thread outlives its test. */
    void stop(Duration patience) {
        if (thread.isAlive()) {
            thread.interrupt();
            try {
                thread.join(patience.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return name + (outcome.isDone() ? " (done: " + outcome + ")" : " (" + thread.getState() + ")");
    }
}
