package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * X1 and recovery: while Redis is down every operation fails with {@code INTERNAL_ERROR} within the
 * operation timeout, never hangs and never answers a quiet {@code false}; once Redis is back the
 * same manager works again without being reopened. Also F1 across a restart that lost every key.
 */
class RedisRestartTest {

    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);
    /** The operation timeout plus room for a loaded machine to schedule the failing call. */
    private static final Duration FAILURE_BOUND = OPERATION_TIMEOUT.plusSeconds(2);

    @TempDir
    Path dir;

    @Test
    void X1_operationsFailPromptlyWhileRedisIsDownAndWorkAgainAfterItsReturn() throws Exception {
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                LockManager manager = TestRedis.open(
                        server,
                        Map.of("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms", "dlm.lease.min", "60s"))) {
            assertThat(manager.lock("before", "c", 0)).isTrue();
            long tokenBefore = manager.inspect("before").orElseThrow().fencingToken();

            server.kill();
            assertFailsPromptly(() -> manager.lock("during", "c", 0));
            assertFailsPromptly(() -> manager.lock("during", "c", 5_000));
            assertFailsPromptly(() -> manager.tryAcquire("during", "c", Duration.ZERO, Duration.ofSeconds(5)));
            assertFailsPromptly(() -> manager.unlock("before", "c"));
            assertFailsPromptly(() -> manager.heartbeat("before", "c"));
            assertFailsPromptly(() -> manager.inspect("before"));

            server.restart();
            // The same manager reconnects by itself; no call is needed to make it do so.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreException(LockException.class)
                    .until(() -> manager.lock("after", "c", 0));
            // The server kept nothing, so the old lease is gone, and yet the token did not go back (F1).
            assertThat(manager.inspect("before")).isEmpty();
            assertThat(manager.lock("before", "c", 0)).isTrue();
            assertThat(manager.inspect("before").orElseThrow().fencingToken()).isGreaterThan(tokenBefore);
        }
    }

    @Test
    void X1_aWaiterFailsRatherThanHangsWhenRedisGoesAway() throws Exception {
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                LockManager holding = open(server);
                LockManager waiting = open(server)) {
            assertThat(holding.lock("r", "holder", 0)).isTrue();
            // The holder's lease is 3 s: the waiter wakes by then at the latest and finds Redis gone.
            long start = System.nanoTime();
            Thread killer = new Thread(() -> {
                try {
                    Thread.sleep(300);
                    server.kill();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            killer.start();
            Throwable thrown = catchThrowable(() -> waiting.lock("r", "waiter", 30_000));
            killer.join();
            assertThat(thrown).isInstanceOf(LockException.class);
            assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);
            // Within the holder's lease plus the operation timeout, not the waiter's 30 s.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        }
    }

    @Test
    void L4_aWaiterLooksAgainWhenItsSubscriptionIsRestoredAfterARestart() throws Exception {
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                LockManager holding = TestRedis.open(server, Map.of("dlm.lease.min", "60s"));
                LockManager waiting = TestRedis.open(server, Map.of("dlm.lease.min", "60s"))) {
            assertThat(holding.lock("r", "holder", 0)).isTrue();
            CompletableFuture<Boolean> waiter =
                    CompletableFuture.supplyAsync(() -> waiting.lock("r", "waiter", 30_000));
            String channel = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX).releaseChannel("r");
            try (TestRedis.Admin admin = TestRedis.admin(server.uri())) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admin.subscribers(channel) == 1);
            }
            // The restarted server lost the 60 s lease, and no release will ever be published for it.
            server.kill();
            server.restart();
            long restarted = System.nanoTime();
            assertThat(waiter.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - restarted)).isLessThan(Duration.ofSeconds(15));
        }
    }

    private static LockManager open(PrivateRedisServer server) {
        return LockManagers.open(
                "redis",
                Map.of(
                        "dlm.redis.uri",
                        server.uri(),
                        "dlm.operation.timeout",
                        OPERATION_TIMEOUT.toMillis() + "ms",
                        "dlm.lease.min",
                        "3s",
                        "dlm.lease.factor",
                        "0.001"));
    }

    private static void assertFailsPromptly(ThrowingCallable call) {
        long start = System.nanoTime();
        Throwable thrown = catchThrowable(call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(thrown).as("a call while Redis is down").isInstanceOf(LockException.class);
        assertThat(((LockException) thrown).error()).isEqualTo(LockError.INTERNAL_ERROR);
        assertThat(thrown.getCause()).as("the engine failure is attached").isNotNull();
        assertThat(took).as("time to fail").isLessThan(FAILURE_BOUND);
    }
}
