package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * E4 / reaper idling: MemoryLockBackend.acquire files the new Holding in the wheel after compute()
 * returned, outside any lock. If the lease ends before wheel.add (another thread of the same
 * client releases it, or a nano-length lease is taken over) the ender's wheel.remove finds nothing
 * to unlink, and wheel.add then files an ENDED node. Its deadline, Long.MIN_VALUE, lands it in
 * level 3 bucket 0, drained only every 2^51 ns (26 days): the node stays, the wheel never looks
 * empty, and the reaper ticks every 134 ms instead of parking.
 */
class WheelKeepsEndedNodeTest {

    @Test
    void E4_endedLeasesDoNotStayInTheWheel() throws Exception {
        AtomicLong now = new AtomicLong(Duration.ofDays(3).toNanos());
        // Every reading moves the clock a little, so one-nanosecond leases expire at once.
        MemoryLockBackend backend = new MemoryLockBackend(() -> now.addAndGet(10), false);
        AtomicBoolean stop = new AtomicBoolean();
        Thread sameClientReleaser = new Thread(() -> {
            while (!stop.get()) {
                backend.release("same", "c", 0L);
            }
        });
        Thread taker = new Thread(() -> {
            while (!stop.get()) {
                backend.acquire("nano", "y", 1, 1L);
            }
        });
        sameClientReleaser.start();
        taker.start();
        long end = System.nanoTime() + Duration.ofSeconds(6).toNanos();
        try {
            while (System.nanoTime() < end) {
                backend.acquire("same", "c", Duration.ofMinutes(1).toNanos(), 1L);
                backend.acquire("nano", "x", 1, 1L);
            }
        } finally {
            stop.set(true);
            sameClientReleaser.join();
            taker.join();
        }
        backend.release("same", "c", 0L);
        now.addAndGet(Duration.ofHours(2).toNanos());
        backend.reapExpired();
        assertThat(backend.size()).as("map entries").isZero();
        now.addAndGet(Duration.ofDays(2).toNanos());
        backend.reapExpired();
        assertThat(backend.hasScheduledLeases())
                .as("wheel still holds ended nodes two days after every lease ended")
                .isFalse();
        backend.close();
    }
}
