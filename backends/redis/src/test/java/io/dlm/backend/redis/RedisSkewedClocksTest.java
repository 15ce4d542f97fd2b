package io.dlm.backend.redis;

import io.dlm.tck.jvm.SkewedClocksTck;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job scheduled in two JVMs whose wall clocks differ runs once per tick (S1, S2), on the shared
 * Redis server under a key prefix of its own.
 */
class RedisSkewedClocksTest extends SkewedClocksTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("skewed");

    private static final String PREFIX = KEYS.prefix();

    @Override
    protected String backend() {
        return "redis";
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of("dlm.redis.uri", TestRedis.uri(), "dlm.redis.key-prefix", PREFIX);
    }
}
