package io.dlm.backend.redis;

import io.dlm.LockManager;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Runs the whole TCK against a real Redis, with managers found by name as users find them. */
class RedisTckTest extends SharedLockSpaceTck {

    @RegisterExtension
    static final RedisTestKeys KEYS = new RedisTestKeys("tck");

    private static final String PREFIX = KEYS.prefix();

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return TestRedis.open(PREFIX, properties);
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return TestRedis.open(PREFIX, properties, decorator);
    }

    /** Redis counts expiries in milliseconds ({@code PX}, {@code PTTL}). */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofMillis(1);
    }
}
