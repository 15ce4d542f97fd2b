package io.dlm.impl;

import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** A ticker that moves only when a test says so, starting near the end of the long range. */
public final class SteppedTicker implements Ticker {

    /** A ticker at its starting reading, a minute before the long range ends. */
    public SteppedTicker() {}

    // Close to overflow on purpose: lease arithmetic must rely on differences only (E3).
    private final AtomicLong now =
            new AtomicLong(Long.MAX_VALUE - Duration.ofMinutes(1).toNanos());

    @Override
    public long nanoTime() {
        return now.get();
    }

    /**
     * Moves the clock forward.
     *
     * @param step how far
     */
    public void advance(Duration step) {
        now.addAndGet(step.toNanos());
    }
}
