package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.lettuce.core.cluster.SlotHash;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend on a real Redis Cluster of three primaries (private {@code redis-server}s on free
 * ports): locks on every node, a lease and its counter in one slot, waiters woken across managers
 * and nodes, fencing order, and no subscription left behind on any node.
 */
class RedisClusterTest {

    private static final int NODES = 3;

    @TempDir
    static Path dir;

    private static final List<PrivateRedisServer> servers = new ArrayList<>();
    private static final List<TestRedis.Admin> admins = new ArrayList<>();
    private static String uris;

    @BeforeAll
    static void startCluster() throws Exception {
        for (int i = 0; i < NODES; i++) {
            servers.add(PrivateRedisServer.start(
                    dir.resolve("node" + i),
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "2000"));
        }
        for (PrivateRedisServer server : servers) {
            admins.add(TestRedis.admin(server.uri()));
        }
        int perNode = SlotHash.SLOT_COUNT / NODES;
        for (int i = 0; i < NODES; i++) {
            int first = i * perNode;
            int last = i == NODES - 1 ? SlotHash.SLOT_COUNT - 1 : first + perNode - 1;
            admins.get(i)
                    .sync()
                    .clusterAddSlots(IntStream.rangeClosed(first, last).toArray());
        }
        for (int i = 1; i < NODES; i++) {
            admins.get(0).sync().clusterMeet("127.0.0.1", servers.get(i).port());
        }
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> admins.stream()
                        .allMatch(admin -> admin.sync().clusterInfo().contains("cluster_state:ok")
                                && admin.sync().clusterInfo().contains("cluster_known_nodes:" + NODES)));
        uris = String.join(",", servers.stream().map(PrivateRedisServer::uri).toList());
    }

    @AfterAll
    static void stopCluster() {
        admins.forEach(TestRedis.Admin::close);
        servers.forEach(PrivateRedisServer::close);
    }

    private static LockManager open() {
        return LockManagers.open("redis", Map.of("dlm.redis.uri", uris, "dlm.lease.min", "60s"));
    }

    /** One resource id whose lock lives on each node, in node order. */
    private static List<String> oneResourcePerNode() {
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        int perNode = SlotHash.SLOT_COUNT / NODES;
        List<String> resources = new ArrayList<>();
        for (int node = 0; node < NODES; node++) {
            for (int i = 0; ; i++) {
                String resource = "cluster-" + System.nanoTime() + "-" + i;
                int slot = SlotHash.getSlot(keys.lease(resource));
                if (Math.min(slot / perNode, NODES - 1) == node) {
                    resources.add(resource);
                    break;
                }
            }
        }
        return resources;
    }

    @Test
    void locksOnEveryNodeWorkAndKeepLeaseAndCounterTogether() {
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        try (LockManager manager = open()) {
            List<String> resources = oneResourcePerNode();
            for (int node = 0; node < NODES; node++) {
                String resource = resources.get(node);
                assertThat(manager.lock(resource, "holder", 0)).isTrue();
                String[] both = keys.leaseAndFence(resource);
                assertThat(admins.get(node).sync().exists(both[0], both[1]))
                        .as("lease and counter of %s on node %d", resource, node)
                        .isEqualTo(2L);
                LockInfo info = manager.inspect(resource).orElseThrow();
                assertThat(info.clientId()).isEqualTo("holder");
                assertThat(manager.heartbeat(resource, "holder")).isTrue();
                assertThat(manager.unlock(resource, "other")).isFalse();
                assertThat(manager.unlock(resource, "holder")).isTrue();
                assertThat(manager.lock(resource, "again", 0)).isTrue();
                assertThat(manager.inspect(resource).orElseThrow().fencingToken())
                        .isGreaterThan(info.fencingToken());
            }
        }
    }

    @Test
    void aReleaseOnAnyNodeWakesAWaiterOfAnotherManagerAndLeavesNoSubscription() throws Exception {
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        try (LockManager holding = open();
                LockManager waiting = open()) {
            for (String resource : oneResourcePerNode()) {
                assertThat(holding.lock(resource, "holder", 0)).isTrue();
                CompletableFuture<Boolean> waiter =
                        CompletableFuture.supplyAsync(() -> waiting.lock(resource, "waiter", 30_000));
                String channel = keys.releaseChannel(resource);
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(channel) == 1);
                long released = System.nanoTime();
                assertThat(holding.unlock(resource, "holder")).isTrue();
                assertThat(waiter.get(10, TimeUnit.SECONDS)).isTrue();
                // The holder's lease was 60 s: only the published release can have woken the waiter this soon.
                assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(Duration.ofSeconds(5));
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> subscribers(channel) == 0);
                assertThat(waiting.unlock(resource, "waiter")).isTrue();
            }
        }
    }

    /** Subscribers of a channel on all nodes: a pub/sub connection subscribes on one of them. */
    private static long subscribers(String channel) {
        return admins.stream().mapToLong(admin -> admin.subscribers(channel)).sum();
    }
}
