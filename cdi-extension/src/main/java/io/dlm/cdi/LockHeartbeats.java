package io.dlm.cdi;

import jakarta.annotation.PreDestroy;
import jakarta.inject.Singleton;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Heartbeats the leases of all running intercepted methods (D2) from one sweeper thread.
 *
 * <p>Starting a call's heartbeat only appends its guard to a lock-free queue; nothing is scheduled
 * and no thread is woken, because most locked calls end long before their first heartbeat is due.
 * The sweeper looks at the queue every quarter of the shortest heartbeat period in use (between 1
 * and 50 ms), drops the guards of finished calls, and hands due heartbeats to two renewal threads,
 * so a slow engine never delays the sweep. After a second without guards it sleeps until the next
 * call arrives. All threads are daemons and stop when the container shuts down.
 */
@Singleton
public class LockHeartbeats {

    private static final long MAX_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long MIN_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final ConcurrentLinkedQueue<LeaseGuard> guards = new ConcurrentLinkedQueue<>();
    private final ExecutorService renewals;
    private final Thread sweeper;
    private volatile long tickNanos = MAX_TICK_NANOS;
    private volatile boolean sleeping;
    private volatile boolean shutdown;

    /** Creates the sweeper and its renewal threads; the extension registers this bean. */
    public LockHeartbeats() {
        AtomicInteger count = new AtomicInteger();
        ThreadFactory threads = task -> {
            Thread thread = new Thread(task, "dlm-heartbeat-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        renewals = new ThreadPoolExecutor(2, 2, 0, TimeUnit.NANOSECONDS, new LinkedBlockingQueue<>(), threads);
        sweeper = threads.newThread(this::sweep);
        sweeper.start();
    }

    /**
     * Heartbeats a guard's lease every period until the guard is stopped.
     *
     * @param guard the lease's guard, not yet started
     * @param periodNanos the heartbeat period
     */
    void start(LeaseGuard guard, long periodNanos) {
        guard.beatEvery(periodNanos);
        long tick = Math.max(MIN_TICK_NANOS, periodNanos / 4);
        if (tick < tickNanos) {
            tickNanos = tick;
        }
        guards.add(guard);
        if (sleeping) {
            sleeping = false;
            LockSupport.unpark(sweeper);
        }
    }

    private void sweep() {
        long lastBusy = System.nanoTime();
        while (!shutdown) {
            long now = System.nanoTime();
            boolean busy = false;
            for (Iterator<LeaseGuard> it = guards.iterator(); it.hasNext(); ) {
                LeaseGuard guard = it.next();
                if (guard.isFinished()) {
                    it.remove();
                } else {
                    busy = true;
                    if (guard.claimBeatDueAt(now)) {
                        renewals.execute(guard);
                    }
                }
            }
            if (busy) {
                lastBusy = now;
                LockSupport.parkNanos(this, tickNanos);
            } else if (now - lastBusy < IDLE_NANOS) {
                LockSupport.parkNanos(this, tickNanos);
            } else {
                // Announce the sleep before the last look, so that a guard added meanwhile is
                // either seen here or sees the flag and wakes us (both sides are volatile).
                sleeping = true;
                if (guards.isEmpty() && !shutdown) {
                    LockSupport.park(this);
                }
                sleeping = false;
                lastBusy = System.nanoTime();
            }
        }
    }

    /** Stops the sweeper and the renewal threads when the container shuts down. */
    @PreDestroy
    void shutdown() {
        shutdown = true;
        LockSupport.unpark(sweeper);
        renewals.shutdownNow();
        try {
            sweeper.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
