package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckTimings;
import io.dlm.tck.support.LosingReplies;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * X5 on a real Redis: an acquisition whose reply comes too late is undone, by its attempt id, and
 * only it. The late case runs on a private {@code redis-server} that {@code CLIENT PAUSE} stalls,
 * so that Redis applies the acquisition after the client gave up; the others run on the shared
 * server, with a decorator at the SPI boundary that loses the reply of a real acquisition.
 */
class RedisUndoTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("undo");

    private static final String PREFIX = KEYS.prefix();
    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(200);
    /** Room for a loaded machine to schedule the failing call, on top of what X5 allows. */
    private static final Duration TOLERANCE = TckTimings.scaled(Duration.ofSeconds(1));
    /** Connecting includes a handshake, which a busy machine may not finish in an operation timeout. */
    private static final String CONNECT_TIMEOUT = "10s";

    private static final Duration LONG_LEASE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void X5_anAcquisitionThatRedisAppliesAfterTheClientGaveUpIsUndoneAtOnce() throws Exception {
        // Longer than the failing call may take, so that Redis applies the acquisition after it failed.
        Duration pause = OPERATION_TIMEOUT.multipliedBy(2).plus(TOLERANCE).plus(TOLERANCE);
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                TestRedis.Admin admin = TestRedis.admin(server.uri());
                LockManager manager =
                        TestRedis.open(server, Map.of("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms"))) {
            // Caches the acquire script: the late acquisition is then the script itself, not an
            // EVALSHA that Redis answers NOSCRIPT without applying anything.
            manager.tryAcquire("warm-up", "c", Duration.ZERO, LONG_LEASE)
                    .orElseThrow()
                    .release();

            // Every client's commands wait, in order, until the pause ends.
            assertThat(admin.sync().clientPause(pause.toMillis())).isEqualTo("OK");
            long paused = System.nanoTime();
            Throwable failure = catchThrowable(() -> manager.tryAcquire("late", "c", Duration.ZERO, LONG_LEASE));
            Duration failedAfter = Duration.ofNanos(System.nanoTime() - paused);

            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            // X5: within the wait (zero) plus two operation timeouts (the acquisition and its undo).
            assertThat(failedAfter).isLessThan(OPERATION_TIMEOUT.multipliedBy(2).plus(TOLERANCE));
            assertThat(failedAfter)
                    .as("the client gave up before Redis could apply the acquisition")
                    .isLessThan(pause);

            // Once the pause ends, Redis applies the acquisition and, right behind it on the same
            // connection, its undo: the resource is free long before the 60 s lease would end.
            Optional<LockInfo> afterPause = Awaitility.await()
                    .atMost(pause.plus(TOLERANCE).plus(TOLERANCE))
                    .pollInterval(Duration.ofMillis(20))
                    .ignoreException(LockException.class)
                    .until(() -> manager.inspect("late"), Optional::isEmpty);
            assertThat(afterPause).isEmpty();
            assertThat(admin.sync().exists(keys.leaseAndFence("late")[1]))
                    .as("the acquisition was applied (it drew a token) and then undone")
                    .isEqualTo(1L);
        }
    }

    @Test
    void X5_anAmbiguousAcquisitionThatWasGrantedIsUndone() {
        AtomicBoolean loseReplies = new AtomicBoolean();
        String resource = "granted-" + System.nanoTime();
        try (LockManager manager =
                TestRedis.open(PREFIX, Map.of(), backend -> new LosingReplies(backend, loseReplies))) {
            loseReplies.set(true);
            Throwable failure = catchThrowable(() -> manager.tryAcquire(resource, "c", Duration.ZERO, LONG_LEASE));
            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            assertThat(manager.inspect(resource))
                    .as("undone at once, not held for the lease")
                    .isEmpty();

            loseReplies.set(false);
            Lease next =
                    manager.tryAcquire(resource, "c", Duration.ZERO, LONG_LEASE).orElseThrow();
            assertThat(next.release()).isTrue();
        }
    }

    @Test
    void X5_anUndoNeverReleasesALockTheSameClientHeldBefore() {
        AtomicBoolean loseReplies = new AtomicBoolean();
        String resource = "held-before-" + System.nanoTime();
        try (LockManager manager =
                TestRedis.open(PREFIX, Map.of(), backend -> new LosingReplies(backend, loseReplies))) {
            Lease first =
                    manager.tryAcquire(resource, "c", Duration.ZERO, LONG_LEASE).orElseThrow();

            // Redis answers "held by the caller"; the reply is lost, and the runtime undoes the attempt.
            loseReplies.set(true);
            Throwable failure = catchThrowable(() -> manager.tryAcquire(resource, "c", Duration.ZERO, LONG_LEASE));
            loseReplies.set(false);

            assertThat(failure)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            LockInfo info = manager.inspect(resource).orElseThrow();
            assertThat(info.clientId()).isEqualTo("c");
            assertThat(info.fencingToken()).isEqualTo(first.fencingToken());
            assertThat(info.remaining()).isGreaterThan(LONG_LEASE.minusSeconds(30));
            assertThat(first.renew()).isTrue();
            assertThat(first.release()).isTrue();
        }
    }

    @Test
    void X5_anUndoByTheWrongAttemptOrClientChangesNothingAndAnUnconfirmedUndoSaysSo() throws Exception {
        String resource = "direct-" + System.nanoTime();
        try (PrivateRedisServer server = PrivateRedisServer.start(dir)) {
            LockBackend backend = new RedisLockBackendProvider()
                    .open(BackendContext.of(Map.of(
                            "dlm.redis.uri",
                            server.uri(),
                            "dlm.redis.connect-timeout",
                            CONNECT_TIMEOUT,
                            "dlm.operation.timeout",
                            "5s")));
            try {
                Acquisition acquired = backend.acquire(resource, "c", LONG_LEASE.toNanos(), 41L);
                assertThat(acquired.isAcquired()).isTrue();
                backend.undo(resource, "c", 42L);
                backend.undo(resource, "someone else", 41L);
                assertThat(backend.inspect(resource)).isPresent();
                backend.undo(resource, "c", 41L);
                assertThat(backend.inspect(resource)).isEmpty();

                // Negative ids are ids like any other: kept as text, never rounded through a double.
                assertThat(backend.acquire(resource, "c", LONG_LEASE.toNanos(), Long.MIN_VALUE + 1)
                                .isAcquired())
                        .isTrue();
                backend.undo(resource, "c", Long.MIN_VALUE);
                assertThat(backend.inspect(resource)).isPresent();
                backend.undo(resource, "c", Long.MIN_VALUE + 1);
                assertThat(backend.inspect(resource)).isEmpty();

                server.kill();
                long start = System.nanoTime();
                // Unconfirmed: it says so, for the runtime to try again (N3), within the timeout.
                assertThatThrownBy(() -> backend.undo(resource, "c", 43L))
                        .isInstanceOfSatisfying(
                                LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .as("best effort within the operation timeout")
                        .isLessThan(Duration.ofSeconds(5).plus(TOLERANCE));
            } finally {
                backend.close();
            }
        }
    }

    /**
     * X5, N3: an acquisition that reaches Redis only after its undo (sent on a connection replaced
     * meanwhile, or held up in the network) takes nothing: the undo left a tombstone for its attempt.
     * Another attempt of the same client, and other clients, acquire as usual, with larger tokens.
     */
    @Test
    void X5_anAcquisitionArrivingAfterItsUndoTakesNothing() throws Exception {
        String resource = "tombstone-" + System.nanoTime();
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                TestRedis.Admin admin = TestRedis.admin(server.uri())) {
            LockBackend backend = new RedisLockBackendProvider()
                    .open(BackendContext.of(
                            Map.of("dlm.redis.uri", server.uri(), "dlm.redis.connect-timeout", CONNECT_TIMEOUT)));
            try {
                Acquisition before = backend.acquire(resource, "c", LONG_LEASE.toNanos(), 7L);
                assertThat(backend.release(resource, "c", before.fencingToken()))
                        .isTrue();

                backend.undo(resource, "c", 8L);
                assertThat(backend.acquire(resource, "c", LONG_LEASE.toNanos(), 8L)
                                .isAcquired())
                        .as("the undone attempt, arriving late")
                        .isFalse();
                assertThat(backend.inspect(resource)).as("still free").isEmpty();
                RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
                long ttl = admin.sync().pttl(keys.undo(resource, 8L)[1]);
                assertThat(ttl)
                        .as("the tombstone outlives TCP's retransmissions, and then goes")
                        .isGreaterThan(15 * 60_000L)
                        .isLessThanOrEqualTo(RedisLockBackend.TOMBSTONE_MILLIS);

                Acquisition next = backend.acquire(resource, "c", LONG_LEASE.toNanos(), 9L);
                assertThat(next.isAcquired())
                        .as("another attempt of the same client")
                        .isTrue();
                assertThat(next.fencingToken()).isGreaterThan(before.fencingToken());
                assertThat(backend.release(resource, "c", next.fencingToken())).isTrue();
            } finally {
                backend.close();
            }
        }
    }
}
