package io.dlm.cdi;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one scheduler that heartbeats the leases of all running intercepted methods (D2). Its
 * daemon threads start with the first locked call and stop when the container shuts down.
 */
@Singleton
public class LockHeartbeats {

    private static final int THREADS = 2;

    private final ScheduledThreadPoolExecutor scheduler;

    /** Creates the scheduler; the extension registers this bean. */
    public LockHeartbeats() {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory threads = task -> {
            Thread thread = new Thread(task, "dlm-heartbeat-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        scheduler = new ScheduledThreadPoolExecutor(THREADS, threads);
        // A finished call cancels its heartbeat; drop it from the queue at once, not when it was due.
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /**
     * Heartbeats a guard's lease every period until the guard is stopped.
     *
     * @param guard the lease's guard
     * @param periodNanos the heartbeat period
     */
    void start(LeaseGuard guard, long periodNanos) {
        ScheduledFuture<?> future =
                scheduler.scheduleAtFixedRate(guard, periodNanos, periodNanos, TimeUnit.NANOSECONDS);
        guard.attach(future);
    }

    /** Stops the heartbeat threads when the container shuts down. */
    @PreDestroy
    void shutdown() {
        scheduler.shutdownNow();
    }
}
