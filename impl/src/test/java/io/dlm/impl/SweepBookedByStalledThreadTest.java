package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * K1/K3 (a210013): LeaseKeeper.arrive (LeaseKeeper.java:200-212) publishes sweepAt by CAS and only
 * then books the sweep. A lease arriving in between sees the published time, trusts "a sweep comes
 * in time" and returns; the sweep exists only once the first thread gets to schedule(). So the
 * first step of every lease that arrives meanwhile (its first renewal, or its deadline) waits for
 * an unrelated application thread to be scheduled again by the OS. Here that thread is held (by the
 * injected ticker, read between the CAS and the booking) and another lease's loss at its local
 * deadline is not signalled until it resumes.
 */
class SweepBookedByStalledThreadTest {

    static final class StallingTicker implements Ticker {
        volatile Thread victim;
        int calls; // on the victim thread only
        final CountDownLatch stalled = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        @Override
        public long nanoTime() {
            if (Thread.currentThread() == victim && ++calls == 2) {
                // arrive(): the first reading computes the target, the second (after the CAS) the delay
                stalled.countDown();
                try {
                    resume.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return System.nanoTime();
        }
    }

    @Test
    void K3_aLossIsSignalledAtItsDeadlineWhileAnotherThreadIsDescheduledInArrive() throws Exception {
        StallingTicker ticker = new StallingTicker();
        try (LockManager manager = DefaultLockManager.open(new MemoryLockBackend(ticker), Map.of(), ticker)) {
            // Warm up: the scheduler exists and no sweep is booked.
            manager.tryAcquire("warm", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow()
                    .keepAlive();
            Thread.sleep(100);
            Lease other = manager.tryAcquire("x", "c", Duration.ZERO, Duration.ofHours(1))
                    .orElseThrow();
            Thread app = new Thread(
                    () -> {
                        ticker.victim = Thread.currentThread();
                        other.keepAlive();
                    },
                    "app-x");
            app.start();
            assertThat(ticker.stalled.await(2, TimeUnit.SECONDS)).isTrue();

            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofMillis(200))
                    .orElseThrow();
            CompletableFuture<?> lost = lease.lost().toCompletableFuture();
            try {
                // Local deadline ~198 ms; K3 allows 50 ms; 300 ms more for a loaded machine.
                lost.get(550, TimeUnit.MILLISECONDS);
            } catch (TimeoutException late) {
                assertThat(lease.isValid()).as("isValid() past the deadline").isFalse();
                throw new AssertionError(
                        "lost() not completed 350 ms after the local deadline: the lease waits for a sweep "
                                + "that a stalled thread published but has not booked",
                        late);
            } finally {
                ticker.resume.countDown();
                app.join(2000);
            }
        }
    }
}
