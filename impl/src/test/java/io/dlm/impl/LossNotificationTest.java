package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * K3: lost() is completed by tasks on a fixed pool of 4 "dlm-lease-events" threads
 * (LeaseKeeper.notify / notifier(), LeaseKeeper.java:217-228, 268), and the application's
 * callbacks run inside those tasks. Four slow callbacks (a synchronous CDI observer, a callback
 * that releases on a stalled engine) delay every other lease's loss signal past its deadline, and
 * close() (shutdownNow, LeaseKeeper.java:309) discards the queued completions: that lost() then
 * never completes, since the lease is LOST and endWithManager only ends HELD leases.
 */
class LossNotificationTest {

    private final AtomicBoolean callbacksMayReturn = new AtomicBoolean();

    private Lease lease(LockManager manager, String resource, long millis) {
        return manager.tryAcquire(resource, "c", Duration.ZERO, Duration.ofMillis(millis))
                .orElseThrow();
    }

    private void fourSlowCallbacks(LockManager manager) {
        for (int i = 0; i < 4; i++) {
            lease(manager, "slow" + i, 200).lost().thenRun(() -> ForwardingBackend.parkUntil(callbacksMayReturn::get));
        }
    }

    @Test
    void K3_slowCallbacksOfOtherLeasesDoNotDelayALossSignal() throws Exception {
        try (LockManager manager = LockManagers.open("memory", Map.of("dlm.operation.timeout", "300ms"))) {
            fourSlowCallbacks(manager);
            Lease lease = lease(manager, "r", 400);
            CompletableFuture<?> lost = lease.lost().toCompletableFuture();
            Thread.sleep(700); // its local deadline was ~300 ms ago
            assertThat(lease.isValid()).isFalse();
            assertThat(lost).as("lost() 300 ms after the local deadline").isDone();
        } finally {
            callbacksMayReturn.set(true);
        }
    }

    @Test
    void K3_closeDoesNotDropAPendingLossSignal() throws Exception {
        LockManager manager = LockManagers.open("memory", Map.of("dlm.operation.timeout", "300ms"));
        try {
            fourSlowCallbacks(manager);
            Lease lease = lease(manager, "r", 400);
            CompletableFuture<?> lost = lease.lost().toCompletableFuture();
            Thread.sleep(700);
            manager.close();
            callbacksMayReturn.set(true);
            assertThat(lost.get(2, TimeUnit.SECONDS))
                    .as("lost() of a lease lost before close()")
                    .isNotNull();
        } finally {
            callbacksMayReturn.set(true);
            manager.close();
        }
    }
}
