package io.dlm.backend.redis;

import io.dlm.tck.jvm.CrossProcessTck;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The TCK's cross-process tier on the shared Redis server, under a key prefix of its own. */
class RedisCrossProcessTest extends CrossProcessTck {

    private static final String PREFIX = TestRedis.uniquePrefix("forked");

    @BeforeAll
    static void requireRedis() {
        TestRedis.assumeAvailable();
    }

    @AfterAll
    static void removeKeys() {
        TestRedis.deleteKeys(PREFIX);
    }

    @Override
    protected String backend() {
        return "redis";
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of("dlm.redis.uri", TestRedis.uri(), "dlm.redis.key-prefix", PREFIX);
    }
}
