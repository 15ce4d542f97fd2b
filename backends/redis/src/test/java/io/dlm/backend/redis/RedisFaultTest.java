package io.dlm.backend.redis;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's fault tier (N1-N4, N7) on the shared Redis server, through the tier's TCP fault proxy.
 * The faults of the server itself (a stalled server, failover, eviction) are in the Redis module's
 * own tests, on private servers.
 */
class RedisFaultTest extends LockManagerFaultTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("faults");

    private static final String PREFIX = KEYS.prefix();

    @Override
    protected String backendName() {
        return "redis";
    }

    @Override
    protected InetSocketAddress engineAddress() {
        URI uri = URI.create(TestRedis.uri());
        return new InetSocketAddress(uri.getHost(), uri.getPort() < 0 ? 6379 : uri.getPort());
    }

    @Override
    protected Map<String, String> connectionProperties(String host, int port) {
        return Map.of("dlm.redis.uri", "redis://" + host + ":" + port, "dlm.redis.key-prefix", PREFIX);
    }

    /** Redis counts expiries in milliseconds ({@code PX}, {@code PTTL}). */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }
}
