package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backend behind Sentinel (private {@code redis-server}s: a primary, its replica and one
 * Sentinel): it finds the primary through Sentinel and follows a failover by itself. The lease
 * taken before the failover survives it here only because the replica had caught up; see the
 * docs on asynchronous replication.
 */
class RedisSentinelTest {

    @TempDir
    Path dir;

    @Test
    void followsAFailoverToTheNewPrimary() throws Exception {
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        try (PrivateRedisServer primary = PrivateRedisServer.start(dir.resolve("primary"));
                PrivateRedisServer replica = PrivateRedisServer.start(
                        dir.resolve("replica"), "--replicaof", "127.0.0.1", Integer.toString(primary.port()));
                PrivateRedisServer sentinel =
                        PrivateRedisServer.startSentinel(dir.resolve("sentinel"), primary, replica);
                TestRedis.Admin onReplica = TestRedis.admin(replica.uri())) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> onReplica.sync().info("replication").contains("master_link_status:up"));
            String uri = "redis-sentinel://127.0.0.1:" + sentinel.port() + "#mymaster";
            try (LockManager manager =
                    LockManagers.open("redis", Map.of("dlm.redis.uri", uri, "dlm.lease.min", "60s"))) {
                assertThat(manager.lock("before", "c", 0)).isTrue();
                LockInfo before = manager.inspect("before").orElseThrow();
                Awaitility.await()
                        .atMost(Duration.ofSeconds(10))
                        .until(() -> onReplica.sync().exists(keys.lease("before")) == 1L);

                SentinelFailover.promote(sentinel, primary, replica);

                // The same manager reconnects to the new primary through Sentinel.
                Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100))
                        .ignoreException(LockException.class)
                        .until(() -> manager.lock("after", "c", 0));
                assertThat(onReplica.sync().exists(keys.lease("after")))
                        .as("the new lease is on the promoted replica")
                        .isEqualTo(1L);
                LockInfo survived = manager.inspect("before").orElseThrow();
                assertThat(survived.fencingToken()).isEqualTo(before.fencingToken());
                assertThat(manager.unlock("before", "c")).isTrue();
                assertThat(manager.lock("before", "c", 0)).isTrue();
                assertThat(manager.inspect("before").orElseThrow().fencingToken())
                        .isGreaterThan(before.fencingToken());
            }
        }
    }
}
