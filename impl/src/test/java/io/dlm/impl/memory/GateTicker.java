package io.dlm.impl.memory;

import io.dlm.spi.Ticker;
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

    GateTicker(long start) {
        now = new AtomicLong(start);
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
