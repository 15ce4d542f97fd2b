package io.dlm.impl.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.impl.SteppedTicker;
import io.dlm.spi.Acquisition;
import io.dlm.spi.Ticker;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rules the TCK cannot observe from outside: the clock (E3), the reaper (E4), allocation (H3). */
class MemoryLockBackendTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final SteppedTicker ticker = new SteppedTicker();
    private final MemoryLockBackend backend = new MemoryLockBackend(ticker, false);

    @AfterEach
    void close() {
        backend.close();
    }

    @Test
    void C1_twoLockSpacesShareNoTokenCounter() {
        MemoryLockBackend other = new MemoryLockBackend(ticker, false);
        try {
            long first = other.acquire("r", "a", SECOND, 1L).fencingToken();
            other.release("r", "a", first);
            for (int i = 0; i < 100; i++) {
                long token = backend.acquire("r", "a", SECOND, 1L).fencingToken();
                assertThat(backend.release("r", "a", token)).isTrue();
            }
            // A hundred acquisitions in this space did not move the other's sequence.
            assertThat(other.acquire("r", "a", SECOND, 1L).fencingToken()).isEqualTo(first + 1);
        } finally {
            other.close();
        }
    }

    @Test
    void E3_leasesAreMeasuredByTheInjectedMonotonicClockAcrossItsOverflow() {
        assertThat(backend.acquire("r", "a", 2 * SECOND, 1L).isAcquired()).isTrue();
        ticker.advance(Duration.ofMillis(1_999));
        assertThat(backend.acquire("r", "b", SECOND, 1L).status()).isEqualTo(Acquisition.Status.HELD);
        ticker.advance(Duration.ofMinutes(2)); // crosses Long.MAX_VALUE: only differences count
        assertThat(backend.acquire("r", "b", SECOND, 1L).isAcquired()).isTrue();
    }

    @Test
    void E2_expiredLeaseIsFreeBeforeTheReaperRuns() {
        backend.acquire("r", "a", SECOND, 1L);
        ticker.advance(Duration.ofSeconds(1));
        assertThat(backend.inspect("r")).isEmpty();
        assertThat(backend.renew("r", "a", 0L)).isFalse();
        assertThat(backend.release("r", "a", 0L)).isFalse();
        assertThat(backend.size()).as("not reaped yet").isEqualTo(1);
        assertThat(backend.acquire("r", "b", SECOND, 1L).isAcquired()).isTrue();
    }

    @Test
    void E4_reapingTouchesTheExpiredLeasesAndKeepsTheHeldOnes() {
        for (int i = 0; i < 10_000; i++) {
            backend.acquire("held-" + i, "c", Duration.ofHours(2).toNanos(), 1L);
            backend.acquire("short-" + i, "c", SECOND, 1L);
        }
        ticker.advance(Duration.ofSeconds(2));
        assertThat(backend.reapExpired()).isEqualTo(10_000);
        assertThat(backend.size()).isEqualTo(10_000);
        assertThat(backend.reapExpired()).isZero();

        ticker.advance(Duration.ofMinutes(90));
        assertThat(backend.reapExpired()).as("not yet expired").isZero();
        ticker.advance(Duration.ofMinutes(31));
        assertThat(backend.reapExpired()).isEqualTo(10_000);
        assertThat(backend.size()).isZero();
    }

    @Test
    void E4_renewedLeasesAreFiledAgainNotReaped() {
        backend.acquire("r", "a", 2 * SECOND, 1L);
        for (int i = 0; i < 10; i++) {
            ticker.advance(Duration.ofSeconds(1));
            assertThat(backend.renew("r", "a", 0L)).isTrue();
            backend.reapExpired();
        }
        assertThat(backend.inspect("r")).isPresent();
        ticker.advance(Duration.ofSeconds(2));
        assertThat(backend.reapExpired()).isEqualTo(1);
    }

    @Test
    void E4_theReaperThreadReclaimsExpiredLeasesAndEndsOnClose() {
        MemoryLockBackend reaped = new MemoryLockBackend(Ticker.system());
        reaped.acquire("r", "a", Duration.ofMillis(50).toNanos(), 1L);
        await().atMost(Duration.ofSeconds(10)).until(() -> reaped.size() == 0);
        reaped.close();
        assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(thread -> thread.getName().equals("dlm-memory-reaper") && thread.isAlive());
    }

    @Test
    void E4_releasedLeasesLeaveTheWheel() {
        backend.acquire("r", "a", SECOND, 1L);
        assertThat(backend.release("r", "a", 0L)).isTrue();
        assertThat(backend.size()).isZero();
        // Not filed yet, so its release took no lock; the next pass drops it without counting it
        // as expired, before its lease would have run out.
        assertThat(backend.reapExpired()).isZero();
        assertThat(backend.hasScheduledLeases()).isFalse();

        backend.acquire("r", "a", SECOND, 2L);
        backend.reapExpired();
        assertThat(backend.hasScheduledLeases()).as("filed").isTrue();
        assertThat(backend.release("r", "a", 0L)).isTrue();
        assertThat(backend.hasScheduledLeases())
                .as("a filed lease is unlinked by its release")
                .isFalse();
    }

    @Test
    void E4_aNewLeaseStepsOverReleasedLeasesOnlyNeverOverExpiredOnes() {
        // Expired and sealed by an observer: ended, but still in the map, which only the wheel
        // can clean. Then a new lease on every stripe, pushed on top of them: the push may drop
        // released leases beneath it, never these.
        for (int i = 0; i < 64; i++) {
            backend.acquire("expired-" + i, "c", SECOND, 1L);
        }
        ticker.advance(Duration.ofSeconds(1));
        for (int i = 0; i < 64; i++) {
            assertThat(backend.inspect("expired-" + i)).isEmpty();
        }
        for (int i = 0; i < 64; i++) {
            backend.acquire("released-" + i, "c", SECOND, 1L);
            assertThat(backend.release("released-" + i, "c", 0L)).isTrue();
            backend.acquire("held-" + i, "c", Duration.ofHours(1).toNanos(), 1L);
        }
        assertThat(backend.size()).as("map entries before the pass").isEqualTo(128);
        assertThat(backend.reapExpired()).as("expired leases reclaimed").isEqualTo(64);
        assertThat(backend.size()).as("the held leases stay").isEqualTo(64);
        for (int i = 0; i < 64; i++) {
            assertThat(backend.inspect("held-" + i)).isPresent();
        }
    }

    @Test
    void E4_leasesWaitingToBeFiledStayBoundedWithoutTheReaper() {
        // No reaper here: only the acquiring threads file the arrivals, once enough wait.
        int bound = backend.wheelStripes() * ExpiryWheel.ARRIVALS_LIMIT;
        for (int i = 0; i < 20 * bound; i++) {
            backend.acquire("held-" + i, "c", Duration.ofHours(1).toNanos(), 1L);
            backend.acquire("short-" + i, "c", SECOND, 1L);
            assertThat(backend.release("short-" + i, "c", 0L)).isTrue();
            if (i % 1_000 == 0) {
                assertThat(backend.unfiledArrivals()).as("unfiled after %s", i).isLessThanOrEqualTo(bound);
            }
        }
        assertThat(backend.unfiledArrivals()).isLessThanOrEqualTo(bound);
        assertThat(backend.size()).isEqualTo(20 * bound);
    }

    @Test
    void F1_tokensIncreaseAcrossReleaseAndTakeover() {
        long previous = 0;
        for (int i = 0; i < 100; i++) {
            Acquisition acquired = backend.acquire("r", "c" + i, SECOND, 1L);
            assertThat(acquired.fencingToken()).isGreaterThan(previous);
            previous = acquired.fencingToken();
            if (i % 2 == 0) {
                backend.release("r", "c" + i, 0L);
            } else {
                ticker.advance(Duration.ofSeconds(1));
            }
        }
    }

    @Test
    void F1_tokensKeepGrowingAcrossReleasesStepsOverAndFilingsOfTheArrivals() {
        // The arrivals issue the tokens: a push steps over released leases, a filing (by the reaper
        // or by a push on a full stack) empties the stack; neither may let a token repeat.
        long previous = 0;
        int held = 0;
        for (int i = 0; i < 2_000; i++) {
            long token = backend.acquire("r", "c", SECOND, 1L).fencingToken();
            assertThat(token).as("token %s", i).isGreaterThan(previous);
            previous = token;
            if (i % 3 != 2) {
                assertThat(backend.release("r", "c", token)).isTrue();
            } else {
                ticker.advance(Duration.ofSeconds(1)); // expired: the next one takes it over
            }
            if (i % 50 == 0) {
                backend.reapExpired();
            }
            // Held leases fill every stripe's arrivals past the limit, so pushes file them too.
            for (int j = 0; j < 10; j++) {
                backend.acquire("held-" + held++, "c", Duration.ofHours(10).toNanos(), 1L);
            }
        }
    }

    @Test
    void H3_heartbeatAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (LockManager manager = DefaultLockManager.open(backend, Map.of(), ticker)) {
            manager.lock("r", "a", 1_000);
            for (int i = 0; i < 100_000; i++) {
                manager.heartbeat("r", "a"); // warm up, so that the JIT has compiled the path
            }
            long id = Thread.currentThread().getId();
            long before = threads.getThreadAllocatedBytes(id);
            for (int i = 0; i < 10_000; i++) {
                manager.heartbeat("r", "a");
            }
            long allocated = threads.getThreadAllocatedBytes(id) - before;
            assertThat(allocated).as("bytes allocated by 10,000 heartbeats").isLessThan(1_000);
        }
    }
}
