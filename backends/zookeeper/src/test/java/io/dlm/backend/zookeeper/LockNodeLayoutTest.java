package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How locks live in ZooKeeper, seen with a plain Curator client beside the backend: the nodes of a
 * held lock, the token (F1), the lease clock (E3), and the key node's guard against a lock node
 * that was deleted and created again (U2, H2).
 */
class LockNodeLayoutTest {

    private static final String BASE = TestZooKeeper.basePath(LockNodeLayoutTest.class);
    private static TestingServer server;
    private static CuratorFramework observer;

    @BeforeAll
    static void connect() throws InterruptedException {
        server = TestZooKeeper.shared();
        observer = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        observer.start();
        assertThat(observer.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
    }

    @AfterAll
    static void disconnect() {
        observer.close();
    }

    private static TestBackends.Opened open(String... settings) {
        return TestBackends.open(server.getConnectString(), BASE, settings);
    }

    /** Takes a free resource. */
    private static Lease acquire(TestBackends.Opened zk, String resourceId, String clientId, Duration lease) {
        return zk.manager()
                .tryAcquire(resourceId, clientId, Duration.ZERO, lease)
                .orElseThrow();
    }

    private static List<String> nodesOf(String resourceId) throws Exception {
        return LockNodes.of(observer, BASE, resourceId);
    }

    @Test
    void aHeldLockIsAnEphemeralLockNodeAndKeyNodeWithTheTokenAsCzxid() throws Exception {
        try (TestBackends.Opened zk = open()) {
            Lease lease = acquire(zk, "orders/42", "client a", Duration.ofSeconds(30));
            List<String> nodes = nodesOf("orders/42");
            assertThat(nodes).hasSize(2);
            assertThat(nodes.get(0)).isEqualTo("orders%2F42");
            assertThat(nodes.get(1)).startsWith("orders%2F42.");

            Stat stat = new Stat();
            byte[] data = observer.getData().storingStatIn(stat).forPath(BASE + "/orders%2F42");
            assertThat(new String(data, StandardCharsets.UTF_8))
                    .startsWith("dlm1\n30000\n")
                    .endsWith("\nclient a");
            assertThat(stat.getEphemeralOwner()).isNotZero();
            assertThat(lease.fencingToken()).isEqualTo(stat.getCzxid());
            Stat keyStat = observer.checkExists().forPath(BASE + "/" + nodes.get(1));
            assertThat(keyStat.getEphemeralOwner()).isEqualTo(stat.getEphemeralOwner());
            assertThat(keyStat.getCzxid()).as("created in the same transaction").isEqualTo(stat.getCzxid());

            assertThat(lease.renew()).isTrue();
            Stat renewed = observer.checkExists().forPath(BASE + "/orders%2F42");
            assertThat(renewed.getCzxid()).isEqualTo(stat.getCzxid());
            assertThat(renewed.getMtime()).isGreaterThanOrEqualTo(stat.getMtime());

            assertThat(lease.release()).isTrue();
            assertThat(nodesOf("orders/42")).isEmpty();
        }
    }

    @Test
    void closingTheManagerDeletesItsNodesWithItsSession() throws Exception {
        TestBackends.Opened zk = open();
        assertThat(zk.manager().lock("closing-1", "c", 0)).isTrue();
        assertThat(zk.manager().lock("closing-2", "c", 0)).isTrue();
        zk.close();
        assertThat(nodesOf("closing-1")).isEmpty();
        assertThat(nodesOf("closing-2")).isEmpty();
    }

    @Test
    void anExpiredLeaseIsTakenOverInOneTransactionWithALargerToken() throws Exception {
        try (TestBackends.Opened zk = open()) {
            Lease first = acquire(zk, "takeover", "first", Duration.ofMillis(200));
            List<String> before = nodesOf("takeover");
            await(() -> zk.manager().lock("takeover", "second", 0));
            List<String> after = nodesOf("takeover");
            assertThat(after).hasSize(2);
            assertThat(after.get(1)).as("a new key node").isNotEqualTo(before.get(1));
            long token = zk.manager().inspect("takeover").orElseThrow().fencingToken();
            assertThat(token)
                    .isEqualTo(
                            observer.checkExists().forPath(BASE + "/takeover").getCzxid())
                    .isGreaterThan(first.fencingToken());
        }
    }

    /**
     * The lock node of a new holder starts at data version 0 again, as the old one did. Without
     * the key node, the old holder's cached version would still match and its renewal or release
     * would land on the new holder's lock.
     */
    @Test
    void aStaleHolderCannotRenewOrReleaseALockNodeCreatedAgainAtTheSameVersion() throws Exception {
        try (TestBackends.Opened stale = open();
                TestBackends.Opened other = open()) {
            assertThat(stale.manager().tryAcquire("aba", "old", Duration.ZERO, Duration.ofMillis(200)))
                    .isPresent();
            // The old holder's lease ends; a new holder takes over, and the lock node is at version 0.
            await(() -> other.manager().lock("aba", "new", 0));
            assertThat(observer.checkExists().forPath(BASE + "/aba").getVersion())
                    .isZero();
            assertThat(stale.manager().heartbeat("aba", "old")).isFalse();
            assertThat(stale.manager().unlock("aba", "old")).isFalse();
            LockInfo holder = other.manager().inspect("aba").orElseThrow();
            assertThat(holder.clientId()).isEqualTo("new");
            assertThat(holder.remaining()).isGreaterThan(Duration.ofMillis(500));

            // Same again after the lock node is released and created afresh by a plain create.
            assertThat(other.manager().unlock("aba", "new")).isTrue();
            assertThat(stale.manager().lock("aba", "old", 0)).isTrue();
            assertThat(stale.manager().unlock("aba", "old")).isTrue();
            assertThat(other.manager().lock("aba", "new", 0)).isTrue();
            assertThat(stale.manager().unlock("aba", "old")).isFalse();
            assertThat(stale.manager().heartbeat("aba", "old")).isFalse();
            assertThat(other.manager().inspect("aba").map(LockInfo::clientId)).contains("new");
        }
    }

    @Test
    void aHeartbeatFromAnotherManagerOfTheSameClientIsOneLeaseAndBothCanRelease() throws Exception {
        try (TestBackends.Opened one = open();
                TestBackends.Opened two = open()) {
            Lease lease = acquire(one, "shared-client", "c", Duration.ofSeconds(30));
            assertThat(two.manager().heartbeat("shared-client", "c")).isTrue();
            assertThat(lease.renew()).as("renewal after another manager's").isTrue();
            assertThat(two.manager().heartbeat("shared-client", "c")).isTrue();
            assertThat(one.manager().inspect("shared-client").map(LockInfo::fencingToken))
                    .contains(lease.fencingToken());
            assertThat(two.manager().unlock("shared-client", "c")).isTrue();
            assertThat(lease.release()).isFalse();
            assertThat(nodesOf("shared-client")).isEmpty();
        }
    }

    @Test
    void foreignDataAtALockNodeIsAnInternalErrorNotALock() throws Exception {
        observer.create()
                .creatingParentsIfNeeded()
                .withMode(CreateMode.EPHEMERAL)
                .forPath(BASE + "/foreign", new byte[] {1, 2});
        try (TestBackends.Opened zk = open()) {
            LockException thrown = catchLockException(() -> zk.manager().lock("foreign", "c", 0));
            assertThat(thrown.error()).isEqualTo(LockError.INTERNAL_ERROR);
            assertThat(thrown).hasMessageContaining("foreign");
            assertThat(catchLockException(() -> zk.manager().inspect("foreign")).error())
                    .isEqualTo(LockError.INTERNAL_ERROR);
        }
    }

    @Test
    void digestCredentialsWithTheCreatorAclKeepOthersOut() throws Exception {
        String secured = BASE + "-secured";
        try (TestBackends.Opened owner = TestBackends.open(
                        server.getConnectString(), secured, "dlm.zookeeper.auth.digest", "dlm:secret");
                TestBackends.Opened sameUser = TestBackends.open(
                        server.getConnectString(), secured, "dlm.zookeeper.auth.digest", "dlm:secret");
                TestBackends.Opened stranger =
                        TestBackends.open(server.getConnectString(), secured, "dlm.operation.timeout", "2s")) {
            assertThat(owner.manager().lock("guarded", "c", 0)).isTrue();
            assertThat(sameUser.manager().inspect("guarded").map(LockInfo::clientId))
                    .contains("c");
            assertThat(sameUser.manager().lock("guarded", "d", 0)).isFalse();
            assertThat(catchLockException(() -> stranger.manager().inspect("guarded"))
                            .error())
                    .isEqualTo(LockError.INTERNAL_ERROR);
            assertThat(catchLockException(() -> stranger.manager().unlock("guarded", "c"))
                            .error())
                    .isEqualTo(LockError.INTERNAL_ERROR);
            assertThat(owner.manager().unlock("guarded", "c")).isTrue();
        }
    }

    private static LockException catchLockException(Runnable call) {
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(call::run);
        assertThat(thrown).isInstanceOf(LockException.class);
        return (LockException) thrown;
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) {
        org.awaitility.Awaitility.await()
                .atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(20))
                .until(condition);
    }

    @Test
    void idsAreNotTrimmedOrFoldedInNodeNames() throws Exception {
        try (TestBackends.Opened zk = open()) {
            assertThat(zk.manager().lock(" spaced ", "c", 0)).isTrue();
            assertThat(nodesOf(" spaced ")).first().isEqualTo("%20spaced%20");
            assertThat(observer.checkExists().forPath(BASE + "/spaced")).isNull();
            assertThat(zk.manager().inspect("spaced")).isEmpty();
        }
    }
}
