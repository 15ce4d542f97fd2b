package io.dlm.impl.memory;

import java.util.concurrent.locks.LockSupport;

/**
 * The background thread that gives the memory of expired leases back (E4). Correctness never waits
 * for it (E2): it ticks about every 134 ms while leases are filed and sleeps without a timeout
 * while there are none, so an idle manager costs no CPU; a new lease wakes it at most once a tick.
 */
final class Reaper implements Runnable {

    private static final long TICK_NANOS = 1L << 27;

    private final MemoryLockBackend backend;
    private final Thread thread;
    private volatile boolean idle;
    private volatile boolean stopped;

    Reaper(MemoryLockBackend backend) {
        this.backend = backend;
        this.thread = new Thread(this, "dlm-memory-reaper");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** Wakes the reaper if it sleeps for want of leases; called after filing into an empty wheel. */
    void wake() {
        if (idle) {
            idle = false;
            LockSupport.unpark(thread);
        }
    }

    /** Stops the thread and waits for it to end, so that no thread of a closed manager survives. */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
        if (Thread.currentThread() != thread) {
            boolean interrupted = false;
            while (thread.isAlive()) {
                try {
                    thread.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void run() {
        while (!stopped) {
            backend.reapExpired();
            if (backend.hasScheduledLeases()) {
                LockSupport.parkNanos(this, TICK_NANOS);
                continue;
            }
            // Announce the sleep before the last look, so that a lease filed meanwhile either is
            // seen here or sees the flag and wakes us (both sides use volatile accesses).
            idle = true;
            if (!backend.hasScheduledLeases() && !stopped) {
                LockSupport.park(this);
            }
            idle = false;
            if (!stopped) {
                // Woken by a new lease: let a tick's worth gather before the next pass. Otherwise a
                // stream of short holds, each released before the pass, would find the wheel empty
                // every time and wake this thread once per acquisition, each wake a system call.
                LockSupport.parkNanos(this, TICK_NANOS);
            }
        }
    }
}
