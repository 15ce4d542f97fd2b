package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * H2: Holding.renewIfLive decides "live" with a clock reading taken before its CAS. A heartbeat
 * that read the clock just before expiry and is delayed (GC, preemption) past the expiry still
 * wins its CAS when nobody wrote the deadline meanwhile, and so revives a lease that others
 * already saw as expired (a heartbeat and an unlock by the holder returned false, inspect was
 * empty). Afterwards the resource is held again for up to a lease, non-linearizably.
 */
class StaleClockHeartbeatRevivesExpiredLeaseTest {

    @Test
    void H2_aHeartbeatDelayedPastExpiryDoesNotReviveTheLease() throws Exception {
        GateTicker ticker = new GateTicker();
        LockManager manager = ticker.openManager();
        try {
            assertThat(manager.tryAcquire("r", "c", Duration.ZERO, Duration.ofSeconds(1)))
                    .isPresent();
            ticker.advanceNanos(Duration.ofMillis(900).toNanos());

            AtomicReference<Boolean> late = new AtomicReference<>();
            Thread heartbeat = new Thread(() -> late.set(manager.heartbeat("r", "c")));
            ticker.arm(heartbeat);
            heartbeat.start();
            assertThat(ticker.read.await(10, TimeUnit.SECONDS)).isTrue(); // read 0.9 s, now stalled

            ticker.advanceNanos(Duration.ofMillis(200).toNanos()); // 1.1 s: the lease ran out at 1 s
            assertThat(manager.heartbeat("r", "c")).as("E2: expired").isFalse();
            assertThat(manager.inspect("r")).as("E2: free").isEmpty();

            ticker.proceed.countDown();
            heartbeat.join(10_000);

            assertThat(manager.inspect("r"))
                    .as("H2: an expired lease is never revived")
                    .isEmpty();
            assertThat(late.get()).as("H2: heartbeat of an expired lease").isFalse();
            assertThat(manager.lock("r", "b", 0)).as("the resource is free").isTrue();
        } finally {
            manager.close();
        }
    }
}
