package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.spi.LockObserver;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * An observer that fails, even with an {@link Error}, changes nothing for lock operations or for
 * loss reports (K3): the runtime drops what it throws (O1).
 */
class ObserverIsolationTest {

    @Test
    void K3_O1_anObserverThrowingErrorsBreaksNoLockCallAndNoLossReport() throws Exception {
        Throwing observer = new Throwing();
        RenewalsRefused engine = new RenewalsRefused();
        try (LockManager manager =
                DefaultLockManager.open(engine, Map.of("dlm.backend", "memory"), Ticker.system(), observer)) {
            assertThat(manager.lock("r", "a", 0)).isTrue();
            assertThat(manager.lock("r", "b", 50)).isFalse();
            assertThat(manager.unlock("r", "a")).isTrue();
            assertThat(manager.inspect("r")).as("nothing left held by nobody").isEmpty();

            Lease lease = manager.tryAcquire("lost", "c", Duration.ZERO, Duration.ofMillis(600))
                    .orElseThrow()
                    .keepAlive();
            engine.refuse = true;
            assertThat(lease.lost().toCompletableFuture().get(30, TimeUnit.SECONDS))
                    .as("the holder is told of the loss")
                    .isNotNull();
        }
        assertThat(observer.waits.get()).as("waits the observer was told of").isEqualTo(3);
        assertThat(observer.losses.get()).isEqualTo(1);
    }

    /** Fails at every call, the way a metrics library of the wrong version does. */
    private static final class Throwing implements LockObserver {
        final AtomicInteger waits = new AtomicInteger();
        final AtomicInteger losses = new AtomicInteger();

        @Override
        public void waitEnded(String resourceId, String clientId, WaitOutcome outcome, long waitNanos) {
            waits.incrementAndGet();
            throw new NoSuchMethodError("an observer built against another version");
        }

        @Override
        public void released(String resourceId, String clientId, long fencingToken, long heldNanos) {
            throw new AssertionError("released");
        }

        @Override
        public void leaseLost(String resourceId, String clientId, long fencingToken, long heldNanos) {
            losses.incrementAndGet();
            throw new NoSuchMethodError("leaseLost");
        }
    }
}
