package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckTimings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * K4 and K1 at the SPI boundary, on a real Redis: release and renewal act on one acquisition (its
 * fencing token) unless asked for any, and an asynchronous renewal answers without blocking and
 * within the operation timeout, also when Redis stalls.
 */
class RedisTokenBoundTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("token");

    private static final String PREFIX = KEYS.prefix();
    private static final long LEASE = TimeUnit.SECONDS.toNanos(60);
    private static final Duration OPERATION_TIMEOUT = Duration.ofMillis(500);
    private static final Duration TOLERANCE = TckTimings.scaled(Duration.ofSeconds(1));

    @TempDir
    Path dir;

    private AsyncLockBackend backend;
    private String resource;

    @BeforeEach
    void open() {
        backend = open(TestRedis.uri(), "5s");
        resource = "r-" + System.nanoTime();
    }

    @AfterEach
    void close() {
        backend.close();
    }

    private static AsyncLockBackend open(String uri, String operationTimeout) {
        LockBackend opened = new RedisLockBackendProvider()
                .open(BackendContext.of(Map.of(
                        "dlm.redis.uri",
                        uri,
                        "dlm.redis.key-prefix",
                        PREFIX,
                        "dlm.redis.connect-timeout",
                        "10s",
                        "dlm.operation.timeout",
                        operationTimeout)));
        assertThat(opened).isInstanceOf(AsyncLockBackend.class);
        return (AsyncLockBackend) opened;
    }

    @Test
    void K4_anOldTokenNeitherRenewsNorReleasesTheNextAcquisitionOfTheSameClient() throws Exception {
        long old = acquire("c", 1);
        assertThat(backend.release(resource, "c", old)).isTrue();
        long current = acquire("c", 2);
        assertThat(current).isGreaterThan(old);

        assertThat(backend.renew(resource, "c", old)).isFalse();
        assertThat(renewAsync("c", old)).isFalse();
        assertThat(backend.release(resource, "c", old)).isFalse();
        assertThat(backend.inspect(resource).orElseThrow().fencingToken()).isEqualTo(current);

        assertThat(backend.renew(resource, "c", current)).isTrue();
        assertThat(renewAsync("c", current)).isTrue();
        assertThat(renewAsync("other", current)).isFalse();
        assertThat(backend.release(resource, "other", current)).isFalse();
        assertThat(backend.release(resource, "c", current)).isTrue();
        assertThat(backend.inspect(resource)).isEmpty();
    }

    @Test
    void anyAcquisitionKeepsTheSeedsMeaningByResourceAndClient() throws Exception {
        acquire("c", 1);
        assertThat(backend.renew(resource, "c", LockBackend.ANY_ACQUISITION)).isTrue();
        assertThat(renewAsync("c", LockBackend.ANY_ACQUISITION)).isTrue();
        assertThat(backend.release(resource, "other", LockBackend.ANY_ACQUISITION))
                .isFalse();
        assertThat(backend.release(resource, "c", LockBackend.ANY_ACQUISITION)).isTrue();
        assertThat(backend.renew(resource, "c", LockBackend.ANY_ACQUISITION)).isFalse();
    }

    @Test
    void K1_anAsynchronousRenewalOfAStalledRedisFailsWithinTheOperationTimeoutWithoutBlocking() throws Exception {
        try (PrivateRedisServer server = PrivateRedisServer.start(dir);
                TestRedis.Admin admin = TestRedis.admin(server.uri())) {
            AsyncLockBackend stalled = open(server.uri(), OPERATION_TIMEOUT.toMillis() + "ms");
            try {
                // The first call of a busy machine may take more than an operation timeout.
                Acquisition acquired = Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .ignoreException(LockException.class)
                        .until(() -> stalled.acquire(resource, "c", LEASE, 1), Acquisition::isAcquired);
                assertThat(stalled.renewAsync(resource, "c", acquired.fencingToken())
                                .toCompletableFuture()
                                .get(10, TimeUnit.SECONDS))
                        .isTrue();
                assertThat(admin.sync()
                                .clientPause(OPERATION_TIMEOUT
                                        .plus(TOLERANCE)
                                        .multipliedBy(2)
                                        .toMillis()))
                        .isEqualTo("OK");

                long start = System.nanoTime();
                CompletableFuture<Boolean> renewal = stalled.renewAsync(resource, "c", acquired.fencingToken())
                        .toCompletableFuture();
                assertThat(Duration.ofNanos(System.nanoTime() - start))
                        .as("renewAsync returns without waiting for the reply")
                        .isLessThan(OPERATION_TIMEOUT);
                Throwable failure = null;
                try {
                    renewal.get(OPERATION_TIMEOUT.plus(TOLERANCE).toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    failure = e.getCause();
                }
                assertThat(failure)
                        .isInstanceOfSatisfying(
                                LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
            } finally {
                stalled.close();
            }
        }
    }

    private long acquire(String clientId, long attempt) {
        Acquisition acquisition = backend.acquire(resource, clientId, LEASE, attempt);
        assertThat(acquisition.isAcquired()).isTrue();
        return acquisition.fencingToken();
    }

    private boolean renewAsync(String clientId, long token) throws Exception {
        return backend.renewAsync(resource, clientId, token)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }
}
