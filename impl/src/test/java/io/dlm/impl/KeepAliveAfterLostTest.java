package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * K1: keepAlive() on a lease whose lost() was already asked for never starts renewing. lost()
 * calls watch(), which books the timer at the local deadline with keptAlive false; keepAlive()
 * then sets keptAlive but watch() returns at once (already watched), so no step runs before the
 * deadline, and the step at the deadline declares the lease lost without ever renewing it.
 */
class KeepAliveAfterLostTest {

    @Test
    void K1_keepAliveAfterLostStillRenews() throws Exception {
        try (LockManager manager = LockManagers.inMemory()) {
            Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofMillis(300))
                    .orElseThrow();
            lease.lost(); // e.g. a listener registered first
            Thread.sleep(50); // the timer's first step runs (not kept alive yet): booked at the deadline
            lease.keepAlive();
            Thread.sleep(800);
            assertThat(lease.lost().toCompletableFuture())
                    .as("lost() of a kept-alive lease")
                    .isNotDone();
            assertThat(lease.isValid())
                    .as("isValid() of a kept-alive lease after 2.5 lease lengths")
                    .isTrue();
        }
    }
}
