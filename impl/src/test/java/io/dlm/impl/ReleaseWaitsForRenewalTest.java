package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.Ticker;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A release that starts while a blocking renewal of the same lease is on the engine waits for it
 * (D4), so that the release is the last the engine hears of the lease, and waits one operation
 * timeout at most for a renewal that does not come back.
 *
 * <p>The release waits outside the lease's monitor, so that a virtual thread releasing there does
 * not pin its carrier on JDK 21 to 23; no JDK from 24 on can show the pin, so these tests check
 * what the wait must still do.
 */
class ReleaseWaitsForRenewalTest {

    @Test
    void D4_aReleaseWaitsForTheBlockingRenewalOnItsWay() throws Exception {
        RenewalHeldBack backend = new RenewalHeldBack();
        // A long operation timeout: the release must end because the renewal came back, not
        // because its wait ran out.
        try (LockManager manager = renewingEvery50ms(backend, "60s")) {
            try {
                Lease lease = keptAliveWithItsRenewalHeld(manager, backend);

                CompletableFuture<Boolean> release = new CompletableFuture<>();
                Thread releasing = new Thread(() -> release.complete(lease.release()), "releasing");
                releasing.start();
                Awaitility.await("the release waiting for the renewal")
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> releasing.getState() == Thread.State.WAITING
                                || releasing.getState() == Thread.State.TIMED_WAITING);
                assertThat(release)
                        .as("a release while a renewal is on the engine")
                        .isNotDone();

                backend.renewalMayReturn.countDown();
                assertThat(release.get(10, TimeUnit.SECONDS))
                        .as("released once the renewal came back, long before the operation timeout")
                        .isTrue();
            } finally {
                backend.renewalMayReturn.countDown();
            }
        }
    }

    @Test
    void D4_aRenewalThatDoesNotComeBackHoldsTheReleaseUpOneOperationTimeoutAtMost() throws Exception {
        RenewalHeldBack backend = new RenewalHeldBack();
        try (LockManager manager = renewingEvery50ms(backend, "500ms")) {
            try {
                Lease lease = keptAliveWithItsRenewalHeld(manager, backend);

                long start = System.nanoTime();
                assertThat(lease.release()).isTrue();
                long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                assertThat(tookMillis)
                        .as("milliseconds the release waited for the stuck renewal")
                        .isBetween(400L, 5_000L);
            } finally {
                backend.renewalMayReturn.countDown();
            }
        }
    }

    private static LockManager renewingEvery50ms(RenewalHeldBack backend, String operationTimeout) {
        return DefaultLockManager.open(
                backend,
                Map.of("dlm.heartbeat.interval", "50ms", "dlm.operation.timeout", operationTimeout),
                Ticker.system());
    }

    /** A kept-alive lease whose first renewal is on the engine, held there until the test lets it go. */
    private static Lease keptAliveWithItsRenewalHeld(LockManager manager, RenewalHeldBack backend)
            throws InterruptedException {
        Lease lease = manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(30))
                .orElseThrow()
                .keepAlive();
        assertThat(backend.renewing.await(10, TimeUnit.SECONDS)).isTrue();
        return lease;
    }

    /** A blocking (not in-process) backend whose renewals wait until the test lets them go. */
    private static final class RenewalHeldBack extends ForwardingLockBackend {
        final CountDownLatch renewing = new CountDownLatch(1);
        final CountDownLatch renewalMayReturn = new CountDownLatch(1);

        RenewalHeldBack() {
            super(new MemoryLockBackend(Ticker.system()));
        }

        @Override
        public boolean renew(String resourceId, String clientId, long fencingToken) {
            renewing.countDown();
            try {
                renewalMayReturn.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.renew(resourceId, clientId, fencingToken);
        }
    }
}
