package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Leak: release() (DefaultLease.java:141-145) untracks the lease but leaves its booked timer in
 * the scheduler's queue; it is dropped only when it fires, a heartbeat period later (a third of
 * the lease), or at the local deadline (a whole lease, up to dlm.lease.max) when only lost() was
 * watched. Each such task pins the DefaultLease. Same after a loss reported by renewed() or
 * renew() (markLost never cancels the booking).
 */
class TimerLeakAfterReleaseTest {

    @Test
    void releasedLeasesLeaveNoTimerBehind() throws Exception {
        try (LockManager manager = LockManagers.inMemory()) {
            List<Lease> leases = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                Lease lease = manager.tryAcquire("r" + i, "c", Duration.ZERO, Duration.ofHours(1))
                        .orElseThrow();
                if (i % 2 == 0) {
                    lease.keepAlive();
                } else {
                    lease.lost();
                }
                leases.add(lease);
            }
            Thread.sleep(200); // the timers are booked
            leases.forEach(lease -> assertThat(lease.release()).isTrue());
            Thread.sleep(500);
            assertThat(ForwardingBackend.schedulerQueueSize(manager))
                    .as("timer tasks still queued for 100 released leases")
                    .isZero();
        }
    }
}
