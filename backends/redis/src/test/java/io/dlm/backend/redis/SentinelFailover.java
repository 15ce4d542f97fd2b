package io.dlm.backend.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.sentinel.api.StatefulRedisSentinelConnection;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.awaitility.Awaitility;

/** A failover of private servers as an operator starts it: {@code SENTINEL FAILOVER mymaster}. */
final class SentinelFailover {

    private SentinelFailover() {}

    /**
     * Promotes the replica through Sentinel and returns once Sentinel names it as the primary and
     * has demoted the old primary, whose clients Sentinel then closes. Until that demotion the old
     * primary still accepts writes that the new one never sees (the lease loss on failover the docs
     * warn about), so a test waits it out before it looks at the new primary.
     *
     * @param sentinel the Sentinel that watches both servers, under the name {@code mymaster}
     * @param primary the primary now
     * @param replica its replica, the primary after this
     */
    static void promote(PrivateRedisServer sentinel, PrivateRedisServer primary, PrivateRedisServer replica) {
        RedisClient client = RedisClient.create();
        try (StatefulRedisSentinelConnection<String, String> sentinels =
                client.connectSentinel(RedisURI.create(sentinel.uri()))) {
            // Sentinel needs a moment to learn the replica's state before it agrees to fail over.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(250))
                    .ignoreExceptions()
                    .until(() -> "OK".equals(sentinels.sync().failover("mymaster")));
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> ((InetSocketAddress) sentinels.sync().getMasterAddrByName("mymaster")).getPort()
                            == replica.port());
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(5));
        }
        try (TestRedis.Admin onOldPrimary = TestRedis.admin(primary.uri())) {
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> onOldPrimary.sync().info("replication").contains("role:slave"));
        }
    }
}
