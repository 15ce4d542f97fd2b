package io.dlm.impl;

import io.dlm.spi.LockBackend;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Undoes of ambiguous acquisitions that the engine could not confirm in time (X5, N3): a slow engine
 * may apply the acquisition late, after an undo that never got through, and then the lock would be
 * held by nobody for a whole lease. So a failed undo is tried again in the background, with growing
 * pauses up to the operation timeout, until the engine confirms it or the lease it may have made
 * has run out anyway. An undo acts only on its own attempt, so a late one never touches a lock
 * taken since. One thread ({@code dlm-undo}), started on a failure, ended after 30 s without one,
 * and stopped by {@link #close()}.
 */
final class PendingUndos implements AutoCloseable {

    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final LockBackend backend;
    private final long maxPauseNanos;
    private final Object lock = new Object();

    // Guarded by lock.
    private @Nullable ScheduledThreadPoolExecutor timer;
    private boolean closed;

    PendingUndos(LockBackend backend, long operationTimeoutNanos) {
        this.backend = backend;
        this.maxPauseNanos = Math.max(FIRST_PAUSE_NANOS, operationTimeoutNanos);
    }

    /**
     * Keeps trying to undo an attempt whose undo just failed.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param attempt the attempt id
     * @param leaseNanos the lease the attempt asked for: after it, there is nothing left to undo
     */
    void retry(String resourceId, String clientId, long attempt, long leaseNanos) {
        long giveUpAt = System.nanoTime() + leaseNanos;
        schedule(new Retry(resourceId, clientId, attempt, giveUpAt, FIRST_PAUSE_NANOS), FIRST_PAUSE_NANOS);
    }

    private void schedule(Retry retry, long pauseNanos) {
        synchronized (lock) {
            if (closed) {
                return; // what is not undone expires by its lease
            }
            if (timer == null) {
                // Undos that need retrying are rare: the thread goes when idle, and comes back.
                timer = OccasionalTimer.create("dlm-undo");
            }
            timer.schedule(retry, pauseNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** Stops retrying; waits for an undo on its way, at most the operation timeout (C1). */
    @Override
    public void close() {
        ScheduledThreadPoolExecutor stopping;
        synchronized (lock) {
            closed = true;
            stopping = timer;
        }
        if (stopping != null) {
            stopping.shutdownNow();
            try {
                stopping.awaitTermination(maxPauseNanos, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private final class Retry implements Runnable {
        private final String resourceId;
        private final String clientId;
        private final long attempt;
        private final long giveUpAt;
        private final long pauseNanos;

        Retry(String resourceId, String clientId, long attempt, long giveUpAt, long pauseNanos) {
            this.resourceId = resourceId;
            this.clientId = clientId;
            this.attempt = attempt;
            this.giveUpAt = giveUpAt;
            this.pauseNanos = pauseNanos;
        }

        @Override
        public void run() {
            if (System.nanoTime() - giveUpAt >= 0) {
                return;
            }
            try {
                backend.undo(resourceId, clientId, attempt);
            } catch (RuntimeException e) {
                long next = Math.min(pauseNanos * 2, maxPauseNanos);
                if (System.nanoTime() + next - giveUpAt < 0) {
                    schedule(new Retry(resourceId, clientId, attempt, giveUpAt, next), next);
                }
            }
        }
    }
}
