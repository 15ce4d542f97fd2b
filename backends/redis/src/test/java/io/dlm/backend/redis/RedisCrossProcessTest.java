package io.dlm.backend.redis;

import io.dlm.tck.jvm.CrossProcessTck;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The TCK's cross-process tier on the shared Redis server, under a key prefix of its own. */
class RedisCrossProcessTest extends CrossProcessTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("forked");

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
