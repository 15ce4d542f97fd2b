package io.dlm.backend.redis;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One test class's own part of the shared Redis server: a key prefix no other class or rerun
 * uses. Before the class it checks that the server answers (skipping outside CI, failing in CI);
 * after it, it deletes every key under the prefix, the fencing counters too, which never expire.
 */
final class RedisTestKeys implements BeforeAllCallback, AfterAllCallback {

    private final String prefix;

    /**
     * A key space named after the test class.
     *
     * @param testClass a short name of the test class, part of the prefix
     */
    RedisTestKeys(String testClass) {
        this.prefix = TestRedis.uniquePrefix(testClass);
    }

    /**
     * The prefix of every key of this class.
     *
     * @return the prefix, ending in a colon
     */
    String prefix() {
        return prefix;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        TestRedis.assumeAvailable();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestRedis.deleteKeys(prefix);
    }
}
