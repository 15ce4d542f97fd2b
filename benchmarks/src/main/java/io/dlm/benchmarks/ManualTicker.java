package io.dlm.benchmarks;

import io.dlm.spi.Ticker;
import java.time.Duration;

/**
 * A {@link Ticker} that moves only when told to, so that leases expire on cue, and that can hold
 * every other thread at its clock reading, so that a backend's own reaper thread stays out of a
 * measurement.
 *
 * <p>The thread that creates the ticker is its owner and always reads the clock at once. Any other
 * thread that reads it while the gate is shut waits until it opens. The memory backend's reaper
 * reads the clock before it takes any lock of its own, so holding it there blocks nobody else.
 */
final class ManualTicker implements Ticker {

    private final Thread owner = Thread.currentThread();

    // Only the owner writes it; volatile because other threads read it once the gate opens.
    private volatile long now = 1_000_000_000L;

    // Guarded by this.
    private boolean shut;

    @Override
    public long nanoTime() {
        if (Thread.currentThread() != owner) {
            awaitOpen();
        }
        return now;
    }

    /**
     * Moves the clock forward.
     *
     * @param amount how far
     */
    void advance(Duration amount) {
        now = now + amount.toNanos();
    }

    /** Makes every thread but the owner wait at its next reading until {@link #open()}. */
    synchronized void shut() {
        shut = true;
    }

    /** Lets waiting and later readers through. */
    synchronized void open() {
        shut = false;
        notifyAll();
    }

    private synchronized void awaitOpen() {
        boolean interrupted = false;
        while (shut) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
