package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;

/**
 * The SPI's token-bound release and renewal (K4), blocking and asynchronous (K1), on a real server:
 * a token acts only on the acquisition whose lock node has that {@code czxid}, whether the backend
 * knows the lease or has to read it; and an asynchronous renewal ends within the operation timeout
 * even when no server answers.
 */
class TokenBoundRenewalTest {

    private static final String BASE = TestZooKeeper.basePath(TokenBoundRenewalTest.class);
    private static final long LEASE_NANOS = Duration.ofSeconds(30).toNanos();

    private static AsyncLockBackend open(String connect, String... settings) {
        return (AsyncLockBackend) new ZooKeeperLockBackendProvider()
                .open(BackendContext.of(TestBackends.settings(connect, BASE, settings)));
    }

    @Test
    void releaseAndRenewalActOnlyOnTheAcquisitionOfTheirToken() throws Exception {
        String connect = TestZooKeeper.shared().getConnectString();
        try (AsyncLockBackend holder = open(connect, "dlm.operation.timeout", "10s");
                AsyncLockBackend sameClient = open(connect, "dlm.operation.timeout", "10s")) {
            long token = holder.acquire("k4", "c", LEASE_NANOS, 1).fencingToken();
            long other = token + 1;

            // Known to the backend: one round trip, and the token must match.
            assertThat(holder.renew("k4", "c", other)).isFalse();
            assertThat(renewAsync(holder, "k4", "c", other)).isFalse();
            assertThat(holder.release("k4", "c", other)).isFalse();
            assertThat(holder.renew("k4", "c", token)).isTrue();
            assertThat(renewAsync(holder, "k4", "c", token)).isTrue();
            assertThat(holder.renew("k4", "c", LockBackend.ANY_ACQUISITION)).isTrue();
            assertThat(renewAsync(holder, "k4", "c", token))
                    .as("after a renewal")
                    .isTrue();

            // Unknown to this backend (another manager of the same client): read, then the same.
            assertThat(renewAsync(sameClient, "k4", "c", other)).isFalse();
            assertThat(renewAsync(sameClient, "k4", "c", token)).isTrue();
            assertThat(renewAsync(sameClient, "k4", "someone else", token)).isFalse();
            assertThat(renewAsync(holder, "k4", "c", token))
                    .as("after another backend's renewal moved the version")
                    .isTrue();
            assertThat(sameClient.release("k4", "c", other)).isFalse();
            assertThat(holder.inspect("k4")).isPresent();

            assertThat(holder.release("k4", "c", token)).isTrue();
            assertThat(renewAsync(holder, "k4", "c", token)).isFalse();
            assertThat(renewAsync(sameClient, "k4", "c", token)).isFalse();

            // The same client again: the old token names nothing, the new one does.
            Acquisition again = sameClient.acquire("k4", "c", LEASE_NANOS, 2);
            assertThat(again.fencingToken()).isGreaterThan(token);
            assertThat(renewAsync(holder, "k4", "c", token)).isFalse();
            assertThat(holder.renew("k4", "c", token)).isFalse();
            assertThat(holder.release("k4", "c", token)).isFalse();
            assertThat(renewAsync(holder, "k4", "c", again.fencingToken())).isTrue();
            assertThat(holder.release("k4", "c", again.fencingToken())).isTrue();
        }
    }

    @Test
    void anAsynchronousRenewalFailsWithinTheOperationTimeoutWithNoServer() throws Exception {
        TestingServer server = TestZooKeeper.start(-1);
        try (AsyncLockBackend backend = open(
                server.getConnectString(),
                "dlm.operation.timeout",
                "1s",
                "dlm.zookeeper.connection-timeout",
                "10s",
                "dlm.zookeeper.session-timeout",
                "10s")) {
            long token = acquireOnceConnected(backend);
            server.stop();

            long start = System.nanoTime();
            CompletableFuture<Boolean> renewal =
                    backend.renewAsync("async-down", "c", token).toCompletableFuture();
            assertThat(System.nanoTime() - start)
                    .as("renewAsync returns at once")
                    .isLessThan(Duration.ofMillis(500).toNanos());
            Throwable failure = null;
            try {
                renewal.get(5, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure = e.getCause();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
            assertThat(failure).isInstanceOf(LockException.class);
            assertThat(((LockException) failure).error()).isEqualTo(LockError.INTERNAL_ERROR);
        } finally {
            server.close();
        }
    }

    private static long acquireOnceConnected(LockBackend backend) {
        for (long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos(); ; ) {
            try {
                return backend.acquire("async-down", "c", LEASE_NANOS, 1).fencingToken();
            } catch (LockException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    private static boolean renewAsync(AsyncLockBackend backend, String resourceId, String clientId, long token)
            throws Exception {
        return backend.renewAsync(resourceId, clientId, token)
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }
}
