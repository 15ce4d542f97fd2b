package io.dlm.backend.redis;

import io.dlm.LockManager;
import io.dlm.tck.OperationTimeoutTck;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18 on Redis: the shortest {@code dlm.operation.timeout} the backend takes, 1 ms, works
 * against the real server (Lettuce's command timeout has no floor of its own), and anything
 * shorter fails {@code open} naming the key and the least value, before connecting.
 */
class RedisOperationTimeoutTest extends OperationTimeoutTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("RedisOperationTimeoutTest");

    private static final String PREFIX = KEYS.prefix();

    @Override
    protected LockManager openManager(Map<String, String> settings) {
        return TestRedis.open(PREFIX, settings);
    }

    @Override
    protected Duration leastOperationTimeout() {
        return Duration.ofMillis(1);
    }

    /**
     * The connect timeout follows the operation timeout unless set; a handshake in a fresh JVM
     * takes longer than a millisecond, and that is what this key is for.
     */
    @Override
    protected Map<String, String> settingsForTheLeastOperationTimeout() {
        return Map.of("dlm.redis.connect-timeout", "5s");
    }
}
