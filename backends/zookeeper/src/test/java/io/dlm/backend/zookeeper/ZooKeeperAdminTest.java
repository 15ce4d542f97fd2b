package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManagers;
import io.dlm.tck.LockAdminTck;
import io.dlm.tck.support.CapturedLog;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.data.Stat;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's tier of the TCK (O4) on ZooKeeper: listing the live locks under the backend's own
 * base path, and breaking a lock so that the next holder gets a larger token (F1); and what only
 * ZooKeeper has to get right, seen with a plain Curator client beside the backend: children of the
 * base path that are not lock nodes, the key node of a broken lock, and a former holder whose cached
 * version would match the next holder's lock node.
 */
class ZooKeeperAdminTest extends LockAdminTck {

    private static final String BASE = TestZooKeeper.basePath(ZooKeeperAdminTest.class);
    private static final Duration LONG = Duration.ofSeconds(30);

    private static CuratorFramework observer;

    /**
     * The last lock space handed out; the next one lies below it ({@code .../x} and {@code
     * .../x/n}), so a lock space holds the persistent base path of another, which its listing must
     * skip, and whose locks it must not show.
     */
    private @Nullable String lastSpace;

    @BeforeAll
    static void connect() throws InterruptedException {
        observer = CuratorFrameworkFactory.newClient(TestZooKeeper.shared().getConnectString(), new RetryOneTime(100));
        observer.start();
        assertThat(observer.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
    }

    @AfterAll
    static void disconnect() {
        observer.close();
    }

    @Override
    protected String backend() {
        return "zookeeper";
    }

    @Override
    protected Map<String, String> newLockSpace() {
        lastSpace = lastSpace == null ? BASE + "/" + UUID.randomUUID() : lastSpace + "/n";
        return settings(lastSpace);
    }

    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1); // lock nodes state leases in whole milliseconds
    }

    private static Map<String, String> settings(String basePath, String... keysAndValues) {
        return TestBackends.settings(TestZooKeeper.shared().getConnectString(), basePath, keysAndValues);
    }

    private static String freshBasePath() {
        return BASE + "/" + UUID.randomUUID();
    }

    private static List<String> nodesOf(String basePath, String resourceId) throws Exception {
        return LockNodes.of(observer, basePath, resourceId);
    }

    /** Takes a free resource for client {@code c}. */
    private static Lease acquire(TestBackends.Opened zk, String resourceId, Duration lease) {
        return zk.manager().tryAcquire(resourceId, "c", Duration.ZERO, lease).orElseThrow();
    }

    private static void ephemeral(String path, byte[] data) throws Exception {
        observer.create().withMode(CreateMode.EPHEMERAL).forPath(path, data);
    }

    @Test
    void childrenOfTheBasePathThatAreNotLockNodesAreSkipped() throws Exception {
        String base = freshBasePath();
        try (TestBackends.Opened zk = TestBackends.open(TestZooKeeper.shared().getConnectString(), base);
                TestBackends.Opened below =
                        TestBackends.open(TestZooKeeper.shared().getConnectString(), base + "/n");
                LockAdmin admin = LockManagers.admin("zookeeper", settings(base));
                CapturedLog log = new CapturedLog(LockListing.class)) {
            acquire(zk, "real", LONG);
            acquire(zk, "zz", LONG);
            // Another lock space's persistent base path, with a lock of its own below it.
            acquire(below, "deep", LONG);
            byte[] dlmData = observer.getData().forPath(base + "/real");
            observer.create().forPath(base + "/.clock", "12345".getBytes(StandardCharsets.UTF_8));
            // DLM's data under names that the encoding never writes: "A" is "A", not "%41"; "%FF"
            // is no UTF-8; lower-case hex and a dot are not the encoding's.
            ephemeral(base + "/%41", dlmData);
            ephemeral(base + "/%FF", dlmData);
            ephemeral(base + "/a%2fb", dlmData);
            ephemeral(base + "/x.y", dlmData);
            // Another program's ephemeral node under a shared base path.
            ephemeral(base + "/foreign", new byte[] {1, 2});

            assertThat(admin.list("", 100)).extracting(LockInfo::resourceId).containsExactly("real", "zz");
            assertThat(admin.list("", 1)).extracting(LockInfo::resourceId).containsExactly("real");
            assertThat(admin.list("f", 100)).isEmpty();
            assertThat(admin.list("n", 100)).isEmpty();
            assertThat(log.warnings())
                    .as("the node with foreign data is reported, not fatal")
                    .anySatisfy(warning -> assertThat(warning).contains("/foreign"));
        }
    }

    @Test
    void aBasePathNotYetCreatedListsNothing() {
        try (LockAdmin admin = LockManagers.admin("zookeeper", settings(freshBasePath()))) {
            assertThat(admin.list("", 100)).isEmpty();
            assertThat(admin.forceRelease("r")).isEmpty();
        }
    }

    /**
     * The next holder's lock node starts at data version 0, as the broken one did. A forced release
     * that deleted only the lock node would leave the broken acquisition's key node behind, and the
     * former holder's renewal (check key node, write at version 0) would then land on the next
     * holder's lock; so would its reaper's deletion when its own lease ends. The same client id
     * holds both, so only the acquisition tells them apart (K4).
     */
    @Test
    void theFormerHolderNeverTouchesTheNextHoldersLockNodeAtTheSameVersion() throws Exception {
        String base = freshBasePath();
        String connect = TestZooKeeper.shared().getConnectString();
        try (TestBackends.Opened holder = TestBackends.open(connect, base);
                TestBackends.Opened next = TestBackends.open(connect, base);
                LockAdmin admin = LockManagers.admin("zookeeper", settings(base))) {
            Duration shortLease = Duration.ofMillis(1_500);
            Lease renewed = acquire(holder, "renewed", LONG);
            Lease reaped = acquire(holder, "reaped", shortLease);

            for (String id : List.of("renewed", "reaped")) {
                assertThat(admin.forceRelease(id)).isPresent();
                assertThat(nodesOf(base, id))
                        .as("lock and key node deleted together")
                        .isEmpty();
            }
            Lease renewedNext = acquire(next, "renewed", LONG);
            Lease reapedNext = acquire(next, "reaped", LONG);
            Stat renewedBefore = observer.checkExists().forPath(base + "/renewed");
            Stat reapedBefore = observer.checkExists().forPath(base + "/reaped");
            assertThat(renewedBefore.getVersion()).isZero();
            assertThat(reapedBefore.getVersion()).isZero();

            assertThat(renewed.renew()).as("renew() of the broken lease").isFalse();
            assertThat(renewed.release()).as("release() of the broken lease").isFalse();
            // Past the end of the other broken lease, when its manager's reaper deletes what it
            // believes is its expired lock node.
            TimeUnit.MILLISECONDS.sleep(shortLease.toMillis() + 500);
            assertThat(reaped.isValid()).isFalse();

            for (Lease lease : List.of(renewedNext, reapedNext)) {
                Stat now = observer.checkExists().forPath(base + "/" + lease.resourceId());
                assertThat(now)
                        .as("the next holder's lock node of %s", lease.resourceId())
                        .isNotNull();
                assertThat(now.getCzxid()).isEqualTo(lease.fencingToken());
                Stat before = lease == renewedNext ? renewedBefore : reapedBefore;
                assertThat(now.getMzxid())
                        .as("%s not written by the former holder", lease.resourceId())
                        .isEqualTo(before.getMzxid());
                assertThat(lease.renew()).isTrue();
                assertThat(lease.release()).isTrue();
            }
        }
    }

    /**
     * A lock node whose key node was deleted by hand can be neither renewed, released nor taken
     * over, and a versioned delete of it alone could hit a lock node created anew at the same
     * version. The forced release says so at once rather than trying until its timeout.
     */
    @Test
    void aLockNodeWithoutItsKeyNodeIsReportedAtOnce() throws Exception {
        String base = freshBasePath();
        try (TestBackends.Opened zk = TestBackends.open(TestZooKeeper.shared().getConnectString(), base);
                LockAdmin admin = LockManagers.admin("zookeeper", settings(base, "dlm.operation.timeout", "30s"))) {
            acquire(zk, "orphan", LONG);
            for (String node : nodesOf(base, "orphan")) {
                if (node.contains(".")) {
                    observer.delete().forPath(base + "/" + node);
                }
            }

            long start = System.nanoTime();
            Throwable thrown = catchThrowable(() -> admin.forceRelease("orphan"));

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(thrown)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                    .hasMessageContaining("key node");
            assertThat(observer.checkExists().forPath(base + "/orphan")).isNotNull();
            observer.delete().forPath(base + "/orphan");
        }
    }
}
