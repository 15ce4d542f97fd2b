package io.dlm.impl.regression;

import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Reflection into package-private hooks of the memory backend, and a clock that can hold a thread. */
final class ReviewSupport {

    private ReviewSupport() {}

    static MemoryLockBackend backend(Ticker ticker, boolean reaping) {
        try {
            Constructor<MemoryLockBackend> c =
                    MemoryLockBackend.class.getDeclaredConstructor(Ticker.class, boolean.class);
            c.setAccessible(true);
            return c.newInstance(ticker, reaping);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    static boolean hasScheduledLeases(MemoryLockBackend backend) {
        try {
            Method m = MemoryLockBackend.class.getDeclaredMethod("hasScheduledLeases");
            m.setAccessible(true);
            return (boolean) m.invoke(backend);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A stepped clock that, once armed for a thread, lets that thread read the time and then holds
     * it before returning the reading: the caller goes on with a stale clock value.
     */
    static final class GateTicker implements Ticker {
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
}
