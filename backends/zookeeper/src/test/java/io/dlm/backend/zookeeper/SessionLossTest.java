package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooKeeper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A holder whose ZooKeeper session expires loses its locks at that moment, whatever their lease:
 * the server deletes its ephemeral nodes, a waiter elsewhere is woken by the deletion, and the old
 * holder's heartbeat and unlock report the loss with {@code false} (H2, U2, X3), and its leases
 * are reported lost at once, long before their local deadline (K3).
 */
class SessionLossTest {

    private static final String BASE = TestZooKeeper.basePath(SessionLossTest.class);
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        threads.shutdownNow();
    }

    @Test
    void anExpiredSessionFreesItsLocksAtOnceAndItsHolderLearnsOfIt() throws Exception {
        TestingServer server = TestZooKeeper.shared();
        try (TestBackends.Opened holder = TestBackends.open(server.getConnectString(), BASE);
                TestBackends.Opened other = TestBackends.open(server.getConnectString(), BASE)) {
            Lease lease = holder.manager()
                    .tryAcquire("expiring", "holder", Duration.ZERO, Duration.ofMinutes(5))
                    .orElseThrow();
            Future<Boolean> waiter = threads.submit(() -> other.manager().lock("expiring", "waiter", 60_000));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> other.backend().watchedNodes() == 1);

            long expired = System.nanoTime();
            expireSession(holder, server.getConnectString());

            assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
            System.out.printf(
                    "session expiry: the waiter held the lock %d ms after the expiry%n",
                    Duration.ofNanos(System.nanoTime() - expired).toMillis());
            assertThat(Duration.ofNanos(System.nanoTime() - expired))
                    .as("time from the expiry to the waiter's lock, with a 5 minute lease")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(other.manager().inspect("expiring").orElseThrow().fencingToken())
                    .isGreaterThan(lease.fencingToken());

            // Until Curator has a new session, the old holder's calls may fail; then they say false.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(100))
                    .ignoreException(LockException.class)
                    .until(() -> !holder.manager().heartbeat("expiring", "holder"));
            assertThat(lease.renew()).isFalse();
            assertThat(lease.release()).isFalse();
            assertThat(other.manager().inspect("expiring").orElseThrow().clientId())
                    .isEqualTo("waiter");
            // And the holder's manager works again, on its new session.
            assertThat(holder.manager().lock("after-expiry", "holder", 0)).isTrue();
        }
    }

    @Test
    void aKeptAliveLeaseIsReportedLostAsSoonAsItsSessionExpires() throws Exception {
        TestingServer server = TestZooKeeper.shared();
        try (TestBackends.Opened holder = TestBackends.open(server.getConnectString(), BASE)) {
            Lease lease = holder.manager()
                    .tryAcquire("k3-expiring", "holder", Duration.ZERO, Duration.ofSeconds(60))
                    .orElseThrow()
                    .keepAlive();
            CompletableFuture<LockException> lost = lease.lost().toCompletableFuture();

            long expired = System.nanoTime();
            expireSession(holder, server.getConnectString());

            LockException loss = lost.get(15, TimeUnit.SECONDS);
            System.out.printf(
                    "session expiry: the holder's lease was reported lost %d ms after the expiry%n",
                    Duration.ofNanos(System.nanoTime() - expired).toMillis());
            assertThat(Duration.ofNanos(System.nanoTime() - expired))
                    .as("time from the expiry to the report, with a 60 s lease renewed every 20 s")
                    .isLessThan(Duration.ofSeconds(10));
            assertThat(loss.error()).isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(lease.isValid()).isFalse();
            assertThat(lease.remaining()).isEqualTo(Duration.ZERO);
            assertThat(lease.release()).isFalse();
        }
    }

    /**
     * Expires a session on the server the way a long partition does: another client takes the
     * session over with its id and password and closes it.
     */
    static void expireSession(TestBackends.Opened opened, String connect) throws Exception {
        ZooKeeper victim = opened.backend().curator().getZookeeperClient().getZooKeeper();
        ZooKeeper thief = new ZooKeeper(connect, 10_000, event -> {}, victim.getSessionId(), victim.getSessionPasswd());
        try {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> thief.getState().isConnected());
        } finally {
            thief.close();
        }
    }
}
