package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.spi.Acquisition;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * MemoryLockBackend.acquire computes "remaining" from a second read of the holder's deadline after
 * compute(). If the lease ends in between (release, reaper, takeover), it reads ENDED
 * (Long.MIN_VALUE) and reports remaining = MIN_VALUE - now: about 292 years for a positive clock.
 * The runtime parks the head that long (bounded by its timeout); only a release follows up with a
 * wake-up, so an end by the reaper or a takeover followed by expiry is a lost wake-up.
 */
class HeldRemainingAfterConcurrentEndTest {

    private static final long LEASE = Duration.ofSeconds(10).toNanos();

    @Test
    void L4_heldNeverReportsMoreThanTheHoldersLease() throws Exception {
        long origin = System.nanoTime();
        // A positive clock, as System.nanoTime() is on Linux (time since boot).
        Ticker ticker = () -> System.nanoTime() - origin + Duration.ofDays(3).toNanos();
        MemoryLockBackend backend = new MemoryLockBackend(ticker, false);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong worst = new AtomicLong();
        Thread holder = new Thread(() -> {
            while (!stop.get()) {
                backend.acquire("r", "y", LEASE, 1L);
                backend.release("r", "y", 0L);
            }
        });
        holder.start();
        long end = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        try {
            while (System.nanoTime() < end && worst.get() <= 2 * LEASE) {
                Acquisition a = backend.acquire("r", "x", LEASE, 1L);
                if (a.isAcquired()) {
                    backend.release("r", "x", 0L);
                } else if (a.remainingNanos() > worst.get()) {
                    worst.set(a.remainingNanos());
                }
            }
        } finally {
            stop.set(true);
            holder.join();
            backend.close();
        }
        assertThat(worst.get()).as("remaining reported by HELD (ns)").isLessThanOrEqualTo(2 * LEASE);
    }
}
