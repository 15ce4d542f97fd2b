package io.dlm.impl.memory;

import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stepped clock that, once armed for a thread, lets that thread read the time and then holds
 * it before returning the reading: the caller goes on with a stale clock value.
 */
final class GateTicker implements Ticker {
    private final AtomicLong now;
    private volatile Thread gated;
    final CountDownLatch read = new CountDownLatch(1);
    final CountDownLatch proceed = new CountDownLatch(1);

    /** A clock that starts three days in: readings well away from zero, as real ones may be. */
    GateTicker() {
        now = new AtomicLong(Duration.ofDays(3).toNanos());
    }

    /**
     * Opens a manager on an in-memory backend, both on this clock, so that an armed thread's stale
     * reading is the one that the backend or the runtime goes on with. The backend has no reaper
     * thread, as tests that step time want.
     */
    LockManager openManager() {
        return DefaultLockManager.open(new MemoryLockBackend(this, false), Map.of(), this);
    }

    void arm(Thread thread) {
        gated = thread;
    }

    void advanceNanos(long nanos) {
        now.addAndGet(nanos);
    }

    @Override
    public long nanoTime() {
        long value = now.get();
        if (Thread.currentThread() == gated) {
            gated = null;
            read.countDown();
            try {
                if (!proceed.await(20, TimeUnit.SECONDS)) {
                    throw new AssertionError("gate never opened");
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
        return value;
    }
}
