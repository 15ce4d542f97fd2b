package io.dlm.backend.redis;

import io.dlm.tck.cdi.ClusteredCdiTck;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CDI rules across applications (S1, S2, S4), on CDI nodes that share the Redis server. */
class RedisClusteredCdiTest extends ClusteredCdiTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("scheduled-job");

    @Override
    protected SeContainerInitializer node(String name) {
        return new Weld().containerId(name);
    }

    @Override
    protected Map<String, String> settings() {
        return Map.of("dlm.backend", "redis", "dlm.redis.uri", TestRedis.uri(), "dlm.redis.key-prefix", KEYS.prefix());
    }
}
