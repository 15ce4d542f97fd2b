package io.dlm.impl.selftest.toy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckTimings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The toy engine's restart and planted flaws, and the {@code toy} backend's timeouts and flaw. */
class ToyLockServerTest {

    private static final long LONG_LEASE =
            TckTimings.scaled(Duration.ofSeconds(60)).toNanos();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    @Test
    void restartKeepsLeasesAndTokensKeepIncreasing() {
        ToyLockServer server = server(ToyFlaw.NONE);
        LockBackend backend = backend(server, "none");
        String held = id();
        long before = acquire(backend, held, "holder");
        server.restart();
        // The pooled connection was reset by the restart. The backend notices it before reuse
        // when the reset has arrived; a call that raced it fails (X1), and the next one reconnects.
        LockInfo kept = Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .ignoreExceptionsInstanceOf(LockException.class)
                .until(() -> backend.inspect(held), Optional::isPresent)
                .orElseThrow();
        assertThat(kept.clientId()).isEqualTo("holder");
        assertThat(kept.fencingToken()).isEqualTo(before);
        assertThat(acquire(backend, id(), "next")).isGreaterThan(before);
    }

    @Test
    void tokensResetOnRestartFlawStartsTokensAgain() {
        ToyLockServer server = server(ToyFlaw.TOKENS_RESET_ON_RESTART);
        LockBackend backend = backend(server, "none");
        acquire(backend, id(), "first");
        long before = acquire(backend, id(), "second");
        server.restart();
        assertThat(before).isEqualTo(2);
        awaitReconnected(backend);
        assertThat(acquire(backend, id(), "third")).isEqualTo(1);
    }

    @Test
    void earlyGrantFlawGrantsAHeldLockAfterSixtyPercentOfItsLease() throws InterruptedException {
        ToyLockServer server = server(ToyFlaw.EARLY_GRANT);
        LockBackend backend = backend(server, "none");
        String resource = id();
        long lease = TckTimings.scaled(Duration.ofSeconds(2)).toNanos();
        long start = System.nanoTime();
        assertThat(backend.acquire(resource, "holder", lease, 1).isAcquired()).isTrue();
        while (!backend.acquire(resource, "early", LONG_LEASE, 2).isAcquired()) {
            assertThat(System.nanoTime() - start)
                    .as("waiting for the early grant")
                    .isLessThan(lease);
            Thread.sleep(10);
        }
        long grantedAfter = System.nanoTime() - start;
        assertThat(grantedAfter).isGreaterThanOrEqualTo(lease * 6 / 10).isLessThan(lease);
    }

    @Test
    void correctEngineKeepsAHeldLockUntilItsLeaseEnds() throws InterruptedException {
        ToyLockServer server = server(ToyFlaw.NONE);
        LockBackend backend = backend(server, "none");
        String resource = id();
        long lease = TckTimings.scaled(Duration.ofMillis(500)).toNanos();
        long start = System.nanoTime();
        assertThat(backend.acquire(resource, "holder", lease, 1).isAcquired()).isTrue();
        while (!backend.acquire(resource, "next", LONG_LEASE, 2).isAcquired()) {
            Thread.sleep(10);
        }
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(lease);
    }

    @Test
    void heldDuringPartitionFlawAnswersRenewedWhenTheEngineIsGone() {
        ToyLockServer server = server(ToyFlaw.NONE);
        LockBackend honest = backend(server, "none");
        LockBackend flawed = backend(server, "held-during-partition");
        String resource = id();
        long token = acquire(flawed, resource, "holder");
        server.close();
        assertThat(flawed.renew(resource, "holder", token)).isTrue();
        assertThatThrownBy(() -> honest.renew(resource, "holder", token))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                .hasCauseInstanceOf(IOException.class);
    }

    @Test
    void anAcquisitionThatArrivesAfterItsUndoIsRefused() {
        LockBackend backend = backend(server(ToyFlaw.NONE), "none");
        String resource = id();
        // As when the acquisition was delayed on its way and the undo overtook it (X5, N3).
        backend.undo(resource, "late", 42);
        assertThatThrownBy(() -> backend.acquire(resource, "late", LONG_LEASE, 42))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));
        assertThat(backend.inspect(resource)).isEmpty();
        assertThat(backend.acquire(resource, "late", LONG_LEASE, 43).isAcquired())
                .as("another attempt")
                .isTrue();
    }

    @Test
    void aCallTheEngineNeverAnswersFailsWithinTheOperationTimeoutAndItsConnectionIsNotReused() throws Exception {
        // An engine that accepts connections and reads requests, but never answers.
        ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        toClose.add(silent);
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        toClose.add(() -> {
            for (Socket socket : accepted) {
                socket.close();
            }
        });
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    accepted.add(silent.accept());
                }
            } catch (IOException e) {
                // closed after the test
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
        Duration timeout = TckTimings.scaled(Duration.ofMillis(300));
        LockBackend backend = new ToyLockBackendProvider()
                .open(BackendContext.of(Map.of(
                        ToyLockBackendProvider.ADDRESS,
                        "127.0.0.1:" + silent.getLocalPort(),
                        BackendContext.OPERATION_TIMEOUT,
                        timeout.toMillis() + "ms")));
        toClose.add(0, backend);
        for (int call = 1; call <= 2; call++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> backend.inspect(id()))
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                    .hasCauseInstanceOf(SocketTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .isGreaterThanOrEqualTo(timeout)
                    .isLessThan(timeout.plus(TckTimings.scaled(Duration.ofMillis(500))));
            // A new connection for each call: the one that timed out was closed, not pooled.
            assertThat(accepted).as("connections after call %s", call).hasSize(call);
        }
    }

    private ToyLockServer server(ToyFlaw flaw) {
        ToyLockServer server = ToyLockServer.start(flaw);
        toClose.add(server);
        return server;
    }

    private LockBackend backend(ToyLockServer server, String flaw) {
        LockBackend backend = new ToyLockBackendProvider()
                .open(BackendContext.of(
                        Map.of(ToyLockBackendProvider.ADDRESS, server.address(), ToyLockBackendProvider.FLAW, flaw)));
        toClose.add(0, backend);
        return backend;
    }

    /**
     * Waits until a call reaches the restarted engine. A call on the pooled connection that races
     * the restart's reset fails (X1); an inspection draws no token, so the next acquisition's
     * token shows what the engine restarted with.
     */
    private static void awaitReconnected(LockBackend backend) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .ignoreExceptionsInstanceOf(LockException.class)
                .until(() -> backend.inspect(id()), Optional::isEmpty);
    }

    private static long acquire(LockBackend backend, String resource, String client) {
        Acquisition acquisition =
                backend.acquire(resource, client, LONG_LEASE, UUID.randomUUID().getLeastSignificantBits());
        assertThat(acquisition.isAcquired())
                .as("acquire %s by %s", resource, client)
                .isTrue();
        return acquisition.fencingToken();
    }

    private static String id() {
        return "toy resource\n" + UUID.randomUUID();
    }
}
