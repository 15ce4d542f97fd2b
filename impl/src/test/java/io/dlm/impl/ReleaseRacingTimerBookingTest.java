package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Leak (a210013): forget() (DefaultLease.java:373-379) now cancels the booked timer from the
 * releasing thread by reading {@code pending}. A step already past its isCurrent() check when the
 * release happens goes on to book() (DefaultLease.java:482-493) and stores a fresh booking the
 * releasing thread never saw: it stays queued until it fires, here at the local deadline an hour
 * later, pinning the lease. Before a210013 the cancel was posted to the scheduler thread, so it
 * ran after the step and caught the booking.
 *
 * <p>The injected ticker holds the scheduler thread at its first clock reading in the step (just
 * after isCurrent() passed) while the test thread releases: a deterministic form of the race.
 */
class ReleaseRacingTimerBookingTest {

    static final class PausingTicker implements Ticker {
        volatile boolean armed;
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        @Override
        public long nanoTime() {
            if (armed && Thread.currentThread().getName().startsWith("dlm-keepalive")) {
                armed = false;
                paused.countDown();
                try {
                    resume.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return System.nanoTime();
        }
    }

    @Test
    void aReleaseDuringTheArrivalStepLeavesNoTimerBehind() throws Exception {
        PausingTicker ticker = new PausingTicker();
        try (LockManager manager = DefaultLockManager.open(new MemoryLockBackend(ticker), Map.of(), ticker)) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow();
            ticker.armed = true;
            lease.keepAlive(); // arrives; the sweep (<= 5 ms) steps it on the scheduler thread
            assertThat(ticker.paused.await(2, TimeUnit.SECONDS))
                    .as("the scheduler stepped the arrived lease")
                    .isTrue();
            assertThat(lease.release()).isTrue(); // while the step is between isCurrent() and book()
            ticker.resume.countDown();
            Thread.sleep(300);
            assertThat(ForwardingBackend.schedulerQueueSize(manager))
                    .as("timer tasks still queued for a released lease")
                    .isZero();
        } finally {
            ticker.resume.countDown();
        }
    }
}
