package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.Optional;
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
 * E2, E3, N6: the slow path of expiry. A holder whose session lives but that neither renews nor
 * ends its lease (a process stopped for less than the session timeout, or a manager of an earlier
 * version, which never deletes its own expired leases) is written here with a plain Curator client,
 * in the node layout every version of the backend shares. A contender in another manager takes the
 * lock only after it has seen the lock node unchanged for a lease plus 1 % by its own monotonic
 * clock, and a renewal (any write of the lock node) starts its count again.
 */
class StuckHolderTakeoverTest {

    private static final String BASE = TestZooKeeper.basePath(StuckHolderTakeoverTest.class);
    private static final Duration LEASE = TckTimings.scaledMillis(1_500);
    private static TestingServer server;
    private static CuratorFramework holder;

    @BeforeAll
    static void connect() throws Exception {
        server = TestZooKeeper.shared();
        holder = CuratorFrameworkFactory.newClient(server.getConnectString(), new RetryOneTime(100));
        holder.start();
        assertThat(holder.blockUntilConnected(30, TimeUnit.SECONDS)).isTrue();
        holder.create().creatingParentsIfNeeded().forPath(BASE);
    }

    @AfterAll
    static void disconnect() {
        holder.close();
    }

    @Test
    void aContenderTakesAStuckLeaseOnlyOnceItSawTheNodeUnchangedForAWholeLease() throws Exception {
        String lock = BASE + "/stuck";
        String nonce = "00000000000000000000000000000001";
        byte[] data = new LockRecord("stuck-holder", LEASE.toMillis(), nonce).encode();
        holder.transaction()
                .forOperations(
                        holder.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(lock, data),
                        holder.transactionOp()
                                .create()
                                .withMode(CreateMode.EPHEMERAL)
                                .forPath(NodePaths.keyPath(lock, nonce)));
        long stuckToken = holder.checkExists().forPath(lock).getCzxid();

        try (TestBackends.Opened contender = TestBackends.open(server.getConnectString(), BASE)) {
            long firstLook = System.nanoTime();
            assertThat(contender.manager().tryAcquire("stuck", "contender", Duration.ZERO, LEASE))
                    .as("the first look at a held lock")
                    .isEmpty();
            // However long ago the stuck holder wrote, the contender counts from its own first look.
            while (System.nanoTime() - firstLook < LEASE.toNanos() * 9 / 10) {
                assertThat(contender.manager().tryAcquire("stuck", "contender", Duration.ZERO, LEASE))
                        .as("a try within a lease of the first look")
                        .isEmpty();
                Thread.sleep(100);
            }

            // A renewal of the stuck holder: the count starts again from the contender's next look.
            Stat renewed = holder.setData().forPath(lock, data);
            long renewedAt = System.nanoTime();
            Optional<Lease> taken = contender.manager().tryAcquire("stuck", "contender", LEASE.multipliedBy(3), LEASE);
            long takenAt = System.nanoTime();

            assertThat(taken).as("the stuck lease, taken over while waiting").isPresent();
            Duration waited = Duration.ofNanos(takenAt - renewedAt);
            assertThat(waited)
                    .as("taken over %s ms after the stuck holder's last write", waited.toMillis())
                    .isGreaterThanOrEqualTo(LEASE.plus(LEASE.dividedBy(100)))
                    .isLessThanOrEqualTo(LEASE.plus(LEASE.dividedBy(4)).plus(TckTimings.scaledMillis(500)));
            assertThat(taken.get().fencingToken()).as("F1").isGreaterThan(stuckToken);
            assertThat(renewed.getCzxid()).isEqualTo(stuckToken);
            assertThat(holder.checkExists().forPath(NodePaths.keyPath(lock, nonce)))
                    .as("the stuck acquisition's key node, deleted with the takeover")
                    .isNull();
            assertThat(taken.get().release()).isTrue();
        }
    }
}
