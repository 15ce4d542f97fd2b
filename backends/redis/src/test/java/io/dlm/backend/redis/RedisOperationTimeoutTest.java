package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockException;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18 on Redis: the shortest {@code dlm.operation.timeout} the backend takes, 1 ms, works
 * against the real server (Lettuce's command timeout has no floor of its own), and anything
 * shorter fails {@code open} naming the key and the least value, before connecting.
 */
class RedisOperationTimeoutTest {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("RedisOperationTimeoutTest");

    private static final String PREFIX = KEYS.prefix();

    @Test
    void locksWorkWithAOneMillisecondOperationTimeout() {
        // The connect timeout follows the operation timeout unless set; a handshake in a fresh JVM
        // takes longer than a millisecond, and that is what this key is for.
        try (LockManager manager =
                TestRedis.open(PREFIX, Map.of("dlm.operation.timeout", "1ms", "dlm.redis.connect-timeout", "5s"))) {
            // A call on a busy host may take longer than a millisecond and fail (X1): one round
            // that succeeds shows that the client's settings do not stand in the way.
            Awaitility.await("lock, inspect and unlock within 1 ms each")
                    .atMost(Duration.ofSeconds(60))
                    .ignoreException(LockException.class)
                    .until(() -> aRoundWorks(manager));
        }
    }

    @Test
    void aShorterOneFailsOpenNamingTheKeyAndTheLeast() {
        assertThatThrownBy(() -> TestRedis.open(PREFIX, Map.of("dlm.operation.timeout", "PT0.0005S")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.operation.timeout")
                .hasMessageContaining("1ms");
    }

    /** One lock, inspection and release of a fresh resource; {@code true} when all did as asked. */
    private static boolean aRoundWorks(LockManager manager) {
        String resource = "r-" + UUID.randomUUID();
        return manager.lock(resource, "c", 0)
                && manager.inspect(resource)
                        .filter(info -> info.clientId().equals("c"))
                        .isPresent()
                && manager.unlock(resource, "c")
                && manager.inspect(resource).isEmpty();
    }
}
