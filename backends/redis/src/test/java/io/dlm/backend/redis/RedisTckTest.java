package io.dlm.backend.redis;

import io.dlm.LockManager;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs the whole TCK against a real Redis, with managers found by name as users find them. */
class RedisTckTest extends SharedLockSpaceTck {

    private static final String PREFIX = TestRedis.uniquePrefix("tck");

    @BeforeAll
    static void requireRedis() {
        TestRedis.assumeAvailable();
    }

    /** Fencing counters never expire; a test run removes its own. */
    @AfterAll
    static void removeCounters() {
        TestRedis.deleteKeys(PREFIX);
    }

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
