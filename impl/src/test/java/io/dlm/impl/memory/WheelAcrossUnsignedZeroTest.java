package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * E4 / V3: ExpiryWheel counts ticks with unsigned shifts of raw ticker readings. System.nanoTime()
 * may be negative and cross zero (its origin is arbitrary); at that step Stripe.advance sees a
 * negative delta and drains nothing, so the buckets due at the crossing are skipped until their
 * level comes round again: up to 2^45 ns (9.8 h) late for a level-3 entry.
 */
class WheelAcrossUnsignedZeroTest {

    @Test
    void E4_aLeaseExpiringJustAfterTheTickerCrossesZeroIsReapedOnTime() {
        AtomicLong now = new AtomicLong(-Duration.ofHours(10).toNanos());
        MemoryLockBackend backend = new MemoryLockBackend(now::get, false);
        // Level 3 (filed 10.5 h ahead), deadline 30 min after the crossing: bucket 0 of level 3.
        assertThat(backend.acquire("r", "c", Duration.ofMinutes(630).toNanos(), 1L)
                        .isAcquired())
                .isTrue();
        long step = Duration.ofSeconds(1).toNanos();
        long until = Duration.ofMinutes(31).toNanos();
        int reaped = 0;
        while (now.get() < until) { // the reaper's ticks, coarser
            now.addAndGet(step);
            reaped += backend.reapExpired();
        }
        assertThat(reaped).as("reaped within a minute of its expiry").isEqualTo(1);
        backend.close();
    }
}
