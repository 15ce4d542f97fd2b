package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FakeClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * N6 on Redis, measured rather than promised: Redis keeps each key's expiry as a wall-clock instant
 * of its own host, so a step of that clock moves every lease's end with it. A step back makes leases
 * last longer on the server than their holders count (safe: the holder's local deadline comes
 * first, K2). A step forward ends every lease with less time left than the step, at once, and
 * another client can take a lock whose holder still counts it valid: Redis does not meet N6, and
 * the docs say to slew, never step, a Redis host's clock. What the backend does promise is that the
 * holder learns of it at its next renewal (K3) and that tokens still grow (F1).
 */
class RedisClockStepTest {

    private static final Duration LEASE = TckTimings.scaledMillis(30_000);

    @TempDir
    Path dir;

    @Test
    void N6_aStepForwardOfTheServersClockEndsLeasesEarlyAndTheHolderLearnsAtItsNextRenewal() throws Exception {
        FakeClock clock = PrivateRedisServer.fakeClock(dir, "+0");
        try (PrivateRedisServer server = PrivateRedisServer.startOn(clock, dir);
                LockManager manager = LockManagers.open("redis", Map.of("dlm.redis.uri", server.uri()))) {
            Lease held = manager.tryAcquire("stepped", "holder", Duration.ZERO, LEASE)
                    .orElseThrow()
                    .keepAlive();
            AtomicLong lostAt = new AtomicLong();
            held.lost().thenRun(() -> lostAt.set(System.nanoTime()));

            clock.step("+60s");
            long stepped = System.nanoTime();
            // The lease had 30 s left; by the server's clock it ended 30 s ago.
            Lease taken = manager.tryAcquire("stepped", "other", Duration.ZERO, LEASE)
                    .orElseThrow(() -> new AssertionError("the lease survived a 60 s step of a 30 s lease"));
            assertThat(held.isValid())
                    .as("the holder still counts its lease valid: this is the overlap N6 forbids, and Redis allows")
                    .isTrue();
            assertThat(taken.fencingToken())
                    .as("F1: the next token is still larger")
                    .isGreaterThan(held.fencingToken());

            Awaitility.await("K3: the holder learns at its next renewal, a third of the lease later")
                    .atMost(LEASE.dividedBy(3).plus(TckTimings.scaledMillis(2_000)))
                    .until(() -> lostAt.get() != 0);
            assertThat(Duration.ofNanos(lostAt.get() - stepped))
                    .isLessThan(LEASE.dividedBy(3).plus(TckTimings.scaledMillis(2_000)));
        }
    }

    @Test
    void N6_aStepBackOfTheServersClockOnlyMakesLeasesLastLongerThanTheirHoldersCount() throws Exception {
        FakeClock clock = PrivateRedisServer.fakeClock(dir, "+0");
        try (PrivateRedisServer server = PrivateRedisServer.startOn(clock, dir);
                LockManager manager = LockManagers.open("redis", Map.of("dlm.redis.uri", server.uri()))) {
            Duration lease = TckTimings.scaledMillis(2_000);
            Lease held =
                    manager.tryAcquire("back", "holder", Duration.ZERO, lease).orElseThrow();
            clock.step("-60s");
            Awaitility.await("the holder's own deadline passes").until(() -> !held.isValid());
            assertThat(manager.inspect("back"))
                    .as("the server still holds it: a backward step lengthens leases, never shortens them")
                    .isPresent();
            assertThat(manager.tryAcquire("back", "other", Duration.ZERO, lease))
                    .isEmpty();
            clock.step("+0");
            Awaitility.await("once corrected, the lease ends by the server's clock")
                    .atMost(lease.plus(TckTimings.scaledMillis(2_000)))
                    .until(() -> manager.inspect("back").isEmpty());
        }
    }
}
