package io.dlm.cli;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;

/** The commands against Redis, in a key prefix of the test class's own. */
class RedisCommandsTest extends EngineCommandsContract {

    private static final String PREFIX =
            "dlm-test:cli:" + UUID.randomUUID().toString().substring(0, 8) + ":";

    @BeforeAll
    static void server() {
        TestServers.assumeRedis();
    }

    @Override
    String backend() {
        return "redis";
    }

    @Override
    Map<String, String> settings() {
        return Map.of("dlm.redis.uri", TestServers.REDIS_URI, "dlm.redis.key-prefix", PREFIX + testSpace() + ":");
    }

    /** Each test its own space, so that one's locks never show in another's list. */
    private String testSpace() {
        return Integer.toHexString(System.identityHashCode(this));
    }
}
