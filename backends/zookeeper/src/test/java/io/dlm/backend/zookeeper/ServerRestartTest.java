package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import org.apache.curator.test.TestingServer;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * X1 with the engine gone: while the server is down every call fails with {@code INTERNAL_ERROR}
 * within {@code dlm.operation.timeout}, never hangs and never answers a quiet {@code false}; once
 * the server is back, calls work again, and {@code close} is bounded even with no server.
 */
class ServerRestartTest {

    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);
    /** What the machine may add to the operation timeout before a call returns. */
    private static final Duration SLACK = Duration.ofSeconds(2);

    private TestingServer server;

    @BeforeEach
    void start() {
        server = TestZooKeeper.start(-1);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    private TestBackends.Opened open() {
        return TestBackends.open(
                server.getConnectString(),
                TestZooKeeper.basePath(ServerRestartTest.class),
                "dlm.operation.timeout",
                OPERATION_TIMEOUT.toMillis() + "ms",
                // Longer than the outage the tests cause: six failing calls, each failed
                // acquisition also undone (X5: the wait plus two operation timeouts), can add up
                // to about 10 s on a loaded machine, and the session must outlive them.
                "dlm.zookeeper.session-timeout",
                "30s",
                "dlm.zookeeper.connection-timeout",
                "1s",
                "dlm.lease.min",
                "60s");
    }

    @Test
    void callsFailWithinTheOperationTimeoutWhileTheServerIsDownAndWorkAfterItsRestart() throws Exception {
        try (TestBackends.Opened zk = open()) {
            LockManager manager = zk.manager();
            awaitLocked(manager, "held");
            server.stop();

            assertFailsPromptly("lock", () -> manager.lock("other", "c", 0));
            assertFailsPromptly("lock with a wait", () -> manager.lock("other", "c", 500));
            assertFailsPromptly(
                    "tryAcquire", () -> manager.tryAcquire("other", "c", Duration.ZERO, Duration.ofSeconds(5)));
            assertFailsPromptly("inspect", () -> manager.inspect("held"));
            assertFailsPromptly("heartbeat", () -> manager.heartbeat("held", "c"));
            assertFailsPromptly("unlock", () -> manager.unlock("held", "c"));

            server.restart();
            awaitLocked(manager, "after-restart");
            // The outage was longer than the SessionGuard's delay, so the session was given up
            // and its leases reported lost (K3); when the client came back to it, the guard ended
            // it, which freed the lock taken before instead of leaving it held by nobody. The guard
            // ends the session off the client's event thread, so the first calls after the restart
            // may still run on it.
            Awaitility.await("the lock taken before the outage is free")
                    .atMost(Duration.ofSeconds(10))
                    .ignoreException(LockException.class)
                    .until(() -> manager.inspect("held").isEmpty());
            assertThat(manager.unlock("held", "c")).isFalse();
        }
    }

    /**
     * A lost connection is not a lost session (K3): the session, and its locks, survive a server
     * restart shorter than the {@link SessionGuard}'s delay (2.3 s of the 10 s session the test
     * server grants), so a kept-alive lease is not reported lost meanwhile,
     * and its keep-alive goes on after the reconnection.
     */
    @Test
    void aDisconnectionTheSessionSurvivesLosesNoLease() throws Exception {
        try (TestBackends.Opened zk = open()) {
            LockManager manager = zk.manager();
            Lease lease = Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .ignoreException(LockException.class)
                    .until(
                            () -> manager.tryAcquire("kept", "c", Duration.ZERO, Duration.ofSeconds(60)),
                            l -> l.isPresent())
                    .orElseThrow()
                    .keepAlive();
            server.stop();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !zk.backend().curator().getZookeeperClient().isConnected());
            server.restart();
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreException(LockException.class)
                    .until(lease::renew);

            assertThat(lease.lost().toCompletableFuture()).isNotDone();
            assertThat(lease.isValid()).isTrue();
            assertThat(manager.inspect("kept").map(info -> info.fencingToken())).contains(lease.fencingToken());
            assertThat(lease.release()).isTrue();
        }
    }

    @Test
    void closeIsBoundedWithNoServer() throws Exception {
        TestBackends.Opened zk = open();
        awaitLocked(zk.manager(), "held");
        server.stop();
        long start = System.nanoTime();
        zk.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(OPERATION_TIMEOUT.plus(SLACK));
    }

    /** Locks once the session is up: a fresh manager connects in the background. */
    private static void awaitLocked(LockManager manager, String resourceId) {
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .ignoreException(LockException.class)
                .until(() -> manager.lock(resourceId, "c", 0));
    }

    private static void assertFailsPromptly(String what, ThrowingCallable call) {
        long start = System.nanoTime();
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(thrown).as("%s with the server down", what).isInstanceOf(LockException.class);
        assertThat(((LockException) thrown).error()).as("error of %s", what).isEqualTo(LockError.INTERNAL_ERROR);
        assertThat(thrown.getCause()).as("cause of %s: %s", what, thrown).isNotNull();
        assertThat(took)
                .as("time %s took", what)
                .isLessThan(OPERATION_TIMEOUT.plus(Duration.ofMillis(500)).plus(SLACK));
    }
}
