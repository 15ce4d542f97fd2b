package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManagers;
import io.dlm.spi.BackendContext;
import io.dlm.tck.support.CapturedLog;
import java.io.IOException;
import java.net.ServerSocket;
import java.text.MessageFormat;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * E1a for {@code dlm.redis.*}: what is accepted, that every bad value names its key, and that an
 * unknown key is a warning.
 */
class RedisSettingsTest {

    @Test
    void defaultsToALocalStandaloneServerAndTheDlmPrefix() {
        RedisSettings settings = parse(Map.of());
        assertThat(settings.cluster()).isFalse();
        assertThat(settings.uris()).hasSize(1);
        assertThat(settings.uris().get(0).getHost()).isEqualTo("127.0.0.1");
        assertThat(settings.uris().get(0).getPort()).isEqualTo(6379);
        assertThat(settings.keyPrefix()).isEqualTo("dlm:");
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(settings.replicaAcks()).isZero();
    }

    @Test
    void replicaAcksAreAWholeNumberForAServerWithReplicas() {
        assertThat(parse(Map.of(RedisSettings.REPLICA_ACKS, " 2 ")).replicaAcks())
                .isEqualTo(2);
        assertThat(parse(Map.of(
                                RedisSettings.URI,
                                "redis-sentinel://s1:26379#mymaster",
                                RedisSettings.REPLICA_ACKS,
                                "1"))
                        .replicaAcks())
                .isEqualTo(1);
        assertThat(parse(Map.of(RedisSettings.URI, "redis://n1:7000,redis://n2:7001", RedisSettings.REPLICA_ACKS, "0"))
                        .replicaAcks())
                .isZero();
    }

    @Test
    void readsTlsCredentialsAndDatabaseFromTheUri() {
        RedisSettings settings = parse(Map.of(RedisSettings.URI, "rediss://app:s3cret@redis.example:6380/3"));
        var uri = settings.uris().get(0);
        assertThat(uri.isSsl()).isTrue();
        assertThat(uri.getDatabase()).isEqualTo(3);
        var credentials = uri.getCredentialsProvider().resolveCredentials().block(Duration.ofSeconds(1));
        assertThat(credentials.getUsername()).isEqualTo("app");
        assertThat(new String(credentials.getPassword())).isEqualTo("s3cret");
    }

    @Test
    void aSentinelUriWithSeveralSentinelsIsOneStandaloneTarget() {
        RedisSettings settings =
                parse(Map.of(RedisSettings.URI, "redis-sentinel://s1:26379,s2:26379,s3:26379/0#mymaster"));
        assertThat(settings.cluster()).isFalse();
        assertThat(settings.uris()).hasSize(1);
        assertThat(settings.uris().get(0).getSentinels()).hasSize(3);
        assertThat(settings.uris().get(0).getSentinelMasterId()).isEqualTo("mymaster");
    }

    @Test
    void aListOfUrisMeansACluster() {
        RedisSettings settings = parse(Map.of(RedisSettings.URI, "redis://n1:7000, redis://n2:7001,rediss://n3:7002"));
        assertThat(settings.cluster()).isTrue();
        assertThat(settings.uris()).extracting(uri -> uri.getPort()).containsExactly(7000, 7001, 7002);
    }

    @Test
    void theClusterFlagTurnsOneSeedUriIntoACluster() {
        assertThat(parse(Map.of(RedisSettings.URI, "redis://n1:7000", RedisSettings.CLUSTER, "TRUE"))
                        .cluster())
                .isTrue();
    }

    @Test
    void aKeyPrefixMayBeEmptyOrAnythingWithoutBraces() {
        assertThat(parse(Map.of(RedisSettings.KEY_PREFIX, "")).keyPrefix()).isEmpty();
        assertThat(parse(Map.of(RedisSettings.KEY_PREFIX, "app/locks:*")).keyPrefix())
                .isEqualTo("app/locks:*");
    }

    @Test
    void invalidValuesNameTheirKey() {
        assertRejected(Map.of(RedisSettings.KEY_PREFIX, "a{b"), RedisSettings.KEY_PREFIX);
        assertRejected(Map.of(RedisSettings.KEY_PREFIX, "a}"), RedisSettings.KEY_PREFIX);
        assertRejected(Map.of(RedisSettings.URI, "   "), RedisSettings.URI);
        assertRejected(Map.of(RedisSettings.URI, "http://localhost:6379"), RedisSettings.URI);
        assertRejected(Map.of(RedisSettings.URI, "redis://"), RedisSettings.URI);
        assertRejected(Map.of(RedisSettings.CLUSTER, "yes"), RedisSettings.CLUSTER);
        assertRejected(
                Map.of(RedisSettings.URI, "redis://a:1,redis://b:2", RedisSettings.CLUSTER, "false"),
                RedisSettings.CLUSTER);
        assertRejected(
                Map.of(RedisSettings.URI, "redis-sentinel://s1:26379#m", RedisSettings.CLUSTER, "true"),
                RedisSettings.URI);
        assertRejected(
                Map.of(RedisSettings.URI, "redis://n1:7000/2", RedisSettings.CLUSTER, "true"), RedisSettings.URI);
        assertRejected(Map.of(RedisSettings.CONNECT_TIMEOUT, "0s"), RedisSettings.CONNECT_TIMEOUT);
        assertRejected(Map.of(RedisSettings.CONNECT_TIMEOUT, "soon"), RedisSettings.CONNECT_TIMEOUT);
        assertRejected(Map.of(RedisSettings.REPLICA_ACKS, "-1"), RedisSettings.REPLICA_ACKS);
        assertRejected(Map.of(RedisSettings.REPLICA_ACKS, "one"), RedisSettings.REPLICA_ACKS);
        assertRejected(Map.of(RedisSettings.REPLICA_ACKS, ""), RedisSettings.REPLICA_ACKS);
        assertRejected(
                Map.of(RedisSettings.URI, "redis://n1:7000,redis://n2:7001", RedisSettings.REPLICA_ACKS, "1"),
                RedisSettings.REPLICA_ACKS);
    }

    @Test
    void timeoutsGoDownToOneMillisecond() {
        RedisSettings settings = parse(Map.of("dlm.operation.timeout", "1ms"));
        assertThat(settings.operationTimeout()).isEqualTo(Duration.ofMillis(1));
        assertThat(settings.connectTimeout()).isEqualTo(Duration.ofMillis(1));
        for (String key : new String[] {"dlm.operation.timeout", RedisSettings.CONNECT_TIMEOUT}) {
            assertThatThrownBy(() -> parse(Map.of(key, "PT0.0009S")))
                    .as(key)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key)
                    .hasMessageContaining("1ms");
        }
        assertThatThrownBy(() -> LockManagers.open("redis", Map.of("dlm.operation.timeout", "PT0.0005S")))
                .as("before connecting")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.operation.timeout");
    }

    @Test
    void anUnknownRedisKeyIsLoggedAsAWarningNotAnError() {
        try (CapturedLog log = new CapturedLog(RedisSettings.class)) {
            RedisSettings settings = parse(Map.of("dlm.redis.url", "redis://elsewhere:6379"));
            assertThat(settings.uris().get(0).getHost()).isEqualTo("127.0.0.1");
            assertThat(log.records()).singleElement().satisfies(logged -> {
                assertThat(logged.getLevel()).isEqualTo(java.util.logging.Level.WARNING);
                assertThat(MessageFormat.format(logged.getMessage(), logged.getParameters()))
                        .contains("dlm.redis.url")
                        .contains(RedisSettings.URI);
            });
        }
    }

    @Test
    void keysOfOtherBackendsAreNotWarnedAbout() {
        try (CapturedLog log = new CapturedLog(RedisSettings.class)) {
            parse(Map.of("dlm.etcd.endpoints", "http://127.0.0.1:2379", "dlm.lease.min", "2s"));
            assertThat(log.records()).isEmpty();
        }
    }

    @Test
    void aBadUriIsReportedWithoutItsPassword() {
        assertThatThrownBy(() -> parse(Map.of(RedisSettings.URI, "redis://app:s3cret@ho st:6379")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RedisSettings.URI)
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void openThroughLockManagersRejectsBadSettingsBeforeConnecting() {
        assertThatThrownBy(() -> LockManagers.open("redis", Map.of(RedisSettings.KEY_PREFIX, "{x}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(RedisSettings.KEY_PREFIX);
    }

    @Test
    void openFailsWithInternalErrorWithinTheConnectTimeoutWhenNothingListens() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        long start = System.nanoTime();
        Map<String, String> settings =
                Map.of(RedisSettings.URI, "redis://127.0.0.1:" + port, RedisSettings.CONNECT_TIMEOUT, "500ms");
        assertThatThrownBy(() -> LockManagers.open("redis", settings))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                .hasCauseInstanceOf(RuntimeException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
    }

    private static void assertRejected(Map<String, String> properties, String key) {
        assertThatThrownBy(() -> parse(properties))
                .as("settings %s", properties)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key);
    }

    private static RedisSettings parse(Map<String, String> properties) {
        return RedisSettings.parse(BackendContext.of(properties));
    }
}
