package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The recommended setup, {@code dlm.zookeeper.auth.digest=user:password} with its default {@code
 * creator} ACL, against other clients of the same ensemble: one without credentials or with other
 * ones can neither see, change, delete nor add lock nodes ({@code NoAuth}), so it cannot break a
 * lock (M1), while managers with the same credentials contend as usual. And the limit of it: a base
 * path created beforehand with an open ACL lets anyone delete lock nodes, because ZooKeeper checks
 * a delete against the parent's ACL.
 */
class ZooKeeperAclTest {

    private static final String CREDENTIALS = "dlm:s3cret";
    private static TestingServer server;
    private static CuratorFramework anonymous;
    private static CuratorFramework stranger;
    private static CuratorFramework admin;

    @BeforeAll
    static void connect() throws InterruptedException {
        server = TestZooKeeper.shared();
        anonymous = client(null);
        stranger = client("dlm:guess");
        admin = client(CREDENTIALS);
    }

    @AfterAll
    static void disconnect() {
        anonymous.close();
        stranger.close();
        admin.close();
    }

    private static CuratorFramework client(String digest) throws InterruptedException {
        CuratorFrameworkFactory.Builder builder = CuratorFrameworkFactory.builder()
                .connectString(server.getConnectString())
                .retryPolicy(new RetryOneTime(100));
        if (digest != null) {
            builder.authorization("digest", digest.getBytes(StandardCharsets.UTF_8));
        }
        CuratorFramework client = builder.build();
        client.start();
        assertThat(client.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
        return client;
    }

    /**
     * A base path whose missing parents the managers create, like every node they create, with
     * the creator ACL: under a root of this class's own, so that the shared server's {@code
     * /dlm-test}, where the other test classes' managers without credentials create their base
     * paths, does not become theirs.
     */
    private static String securedBasePath() {
        return "/dlm-test-acl" + TestZooKeeper.basePath(ZooKeeperAclTest.class);
    }

    @Test
    void othersCannotTouchLockNodesWhileManagersWithTheCredentialsContend() throws Exception {
        String base = securedBasePath();
        String lockPath = base + "/" + NodePaths.encode("guarded");
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try (TestBackends.Opened holder =
                        TestBackends.open(server.getConnectString(), base, ZooKeeperSettings.AUTH_DIGEST, CREDENTIALS);
                TestBackends.Opened rival = TestBackends.open(
                        server.getConnectString(), base, ZooKeeperSettings.AUTH_DIGEST, CREDENTIALS)) {
            assertThat(holder.manager().lock("guarded", "holder", 5_000)).isTrue();

            for (CuratorFramework other : new CuratorFramework[] {anonymous, stranger}) {
                assertThatThrownBy(() -> other.delete().forPath(lockPath))
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> other.setData().forPath(lockPath, new byte[0]))
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> other.checkExists().forPath(lockPath))
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(() -> other.create()
                                .withMode(CreateMode.EPHEMERAL)
                                .withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE)
                                .forPath(base + "/" + NodePaths.encode("forged")))
                        .isInstanceOf(KeeperException.NoAuthException.class);
                assertThatThrownBy(
                                () -> other.delete().deletingChildrenIfNeeded().forPath(base))
                        .isInstanceOf(KeeperException.NoAuthException.class);
            }
            assertThat(holder.manager().inspect("guarded").orElseThrow().clientId())
                    .isEqualTo("holder");
            assertThat(admin.getACL().forPath(lockPath)).singleElement().satisfies(acl -> {
                assertThat(acl.getId().getScheme()).isEqualTo("digest");
                assertThat(acl.getId().getId()).startsWith("dlm:");
                assertThat(acl.getPerms()).isEqualTo(ZooDefs.Perms.ALL);
            });
            assertThat(admin.getACL().forPath(base)).isEqualTo(admin.getACL().forPath(lockPath));

            // Same credentials: the rival sees the lock as held, waits, and gets it on release.
            assertThat(rival.manager().tryAcquire("guarded", "rival", Duration.ZERO, Duration.ofSeconds(30)))
                    .isEmpty();
            Future<Boolean> waiting = threads.submit(() -> rival.manager().lock("guarded", "rival", 20_000));
            assertThat(holder.manager().unlock("guarded", "holder")).isTrue();
            assertThat(waiting.get(20, TimeUnit.SECONDS)).isTrue();
            assertThat(holder.manager().inspect("guarded").orElseThrow().clientId())
                    .isEqualTo("rival");
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aManagerWithOtherCredentialsFailsWithNoAuthAsTheCause() throws Exception {
        String base = securedBasePath();
        try (TestBackends.Opened owner =
                        TestBackends.open(server.getConnectString(), base, ZooKeeperSettings.AUTH_DIGEST, CREDENTIALS);
                TestBackends.Opened other = TestBackends.open(
                        server.getConnectString(), base, ZooKeeperSettings.AUTH_DIGEST, "dlm:guess")) {
            assertThat(owner.manager().lock("owned", "owner", 5_000)).isTrue();
            for (String resource : new String[] {"owned", "free"}) {
                assertThatThrownBy(() -> other.manager().lock(resource, "other", 0))
                        .isInstanceOfSatisfying(LockException.class, e -> {
                            assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR);
                            assertThat(e).hasRootCauseInstanceOf(KeeperException.NoAuthException.class);
                        });
            }
            assertThat(owner.manager().inspect("owned").orElseThrow().clientId())
                    .isEqualTo("owner");
            assertThat(owner.manager().unlock("owned", "owner")).isTrue();
        }
    }

    @Test
    void aBasePathCreatedBeforehandWithAnOpenAclLetsAnyoneDeleteLockNodes() throws Exception {
        // ZooKeeper checks a delete against the parent's ACL, not the node's: the documented
        // reason to create the base path with a closed ACL, or to let DLM create it.
        // Not under /dlm-test-acl, which the other tests' managers created creator-only.
        String base = "/dlm-test-open-acl" + TestZooKeeper.basePath(ZooKeeperAclTest.class);
        anonymous.create().creatingParentsIfNeeded().forPath(base);
        String lockPath = base + "/" + NodePaths.encode("exposed");
        try (TestBackends.Opened holder =
                TestBackends.open(server.getConnectString(), base, ZooKeeperSettings.AUTH_DIGEST, CREDENTIALS)) {
            assertThat(holder.manager().lock("exposed", "holder", 5_000)).isTrue();
            assertThatThrownBy(() -> anonymous.setData().forPath(lockPath, new byte[0]))
                    .as("the lock node's own ACL still guards its data")
                    .isInstanceOf(KeeperException.NoAuthException.class);
            anonymous.delete().forPath(lockPath);
            assertThat(holder.manager().inspect("exposed"))
                    .as("the lock, deleted by a stranger")
                    .isEmpty();
        }
    }
}
