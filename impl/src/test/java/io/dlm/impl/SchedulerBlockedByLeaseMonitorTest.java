package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * K1 / "nothing blocks the scheduler thread": DefaultLease.step() takes the lease's own monitor
 * (synchronized (this), DefaultLease.java:~303) on the single keep-alive thread. The Lease is a
 * public object, so an application that synchronizes on it (a common idiom for guarding work
 * done under that lease) stalls the timer of every lease of the manager.
 */
class SchedulerBlockedByLeaseMonitorTest {

    @Test
    void K1_anApplicationLockingOneLeaseDoesNotStallTheOthers() throws Exception {
        try (LockManager manager = LockManagers.open("memory", Map.of("dlm.heartbeat.interval", "100ms"))) {
            Lease guarded = manager.tryAcquire("guarded", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            Lease other = manager.tryAcquire("other", "c", Duration.ZERO, Duration.ofMillis(600))
                    .orElseThrow()
                    .keepAlive();
            CountDownLatch locked = new CountDownLatch(1);
            Thread app = new Thread(() -> {
                synchronized (guarded) {
                    locked.countDown();
                    try {
                        Thread.sleep(1_200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            });
            app.start();
            locked.await();
            Thread.sleep(1_000);
            assertThat(other.lost().toCompletableFuture())
                    .as("lost() of a lease renewed by a healthy engine")
                    .isNotDone();
            assertThat(other.isValid()).isTrue();
            app.join();
        }
    }
}
