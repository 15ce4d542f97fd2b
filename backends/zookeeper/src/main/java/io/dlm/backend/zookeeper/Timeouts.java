package io.dlm.backend.zookeeper;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Bounds the steps that nobody waits for by the operation timeout (X1, K1). Curator's background
 * calls have no timeout of their own: with a connection that is up but gets no answers, a reply
 * comes only once ZooKeeper gives the connection up, two thirds of the session timeout later.
 *
 * <p>One daemon thread, named like the backend's other threads, started on first use and stopped
 * by {@link #close(long)} (C1).
 */
final class Timeouts {

    private final String threadName;
    private @Nullable ScheduledThreadPoolExecutor timer;
    private boolean closed;

    /**
     * @param threadName the timer thread's name
     */
    Timeouts(String threadName) {
        this.threadName = threadName;
    }

    /**
     * Runs {@code action} after {@code delayNanos}, unless cancelled first.
     *
     * @param action short and non-blocking
     * @param delayNanos the delay
     * @return the booking, or {@code null} once closed: the caller then acts at once
     */
    @Nullable
    ScheduledFuture<?> schedule(Runnable action, long delayNanos) {
        ScheduledThreadPoolExecutor current = timer();
        if (current == null) {
            return null;
        }
        try {
            return current.schedule(action, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closing) {
            return null;
        }
    }

    private synchronized @Nullable ScheduledThreadPoolExecutor timer() {
        if (timer == null && !closed) {
            ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, task -> {
                Thread thread = new Thread(task, threadName);
                thread.setDaemon(true);
                return thread;
            });
            // Bookings are cancelled as soon as their step answers: do not keep them queued.
            created.setRemoveOnCancelPolicy(true);
            timer = created;
        }
        return timer;
    }

    /**
     * Stops the thread and waits a moment for it to end; bookings not yet due are dropped.
     *
     * @param waitNanos how long to wait for the thread
     */
    void close(long waitNanos) {
        ScheduledThreadPoolExecutor current;
        synchronized (this) {
            closed = true;
            current = timer;
        }
        if (current != null) {
            current.shutdownNow();
            try {
                current.awaitTermination(waitNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
