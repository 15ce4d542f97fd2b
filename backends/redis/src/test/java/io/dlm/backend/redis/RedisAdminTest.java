package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.LockAdminTck;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's tier of the TCK (O4) on Redis: listing the live leases of the backend's own key
 * prefix with {@code SCAN}, and breaking a lease so that the next holder gets a larger token (F1);
 * and what only Redis has to get right: the fence counter kept, other programs' keys skipped.
 */
class RedisAdminTest extends LockAdminTck {

    private static final Duration LONG = Duration.ofSeconds(30);

    private static String prefix;

    /** The last lock space handed out; the next one's prefix extends it, to prove prefixes nest safely. */
    private @Nullable String lastSpace;

    @BeforeAll
    static void server() {
        TestRedis.assumeAvailable();
        prefix = TestRedis.uniquePrefix("RedisAdminTest");
    }

    @AfterAll
    static void cleanUp() {
        if (prefix != null) {
            TestRedis.deleteKeys(prefix);
        }
    }

    @Override
    protected String backend() {
        return "redis";
    }

    /**
     * A key prefix of its own, which starts with the previous one: the lock spaces of one test nest
     * ({@code p:1:} and {@code p:1:n:}), and listing one must not show the other's keys.
     */
    @Override
    protected Map<String, String> newLockSpace() {
        lastSpace = (lastSpace == null ? prefix + UUID.randomUUID() + ":" : lastSpace + "n:");
        return TestRedis.withServer(lastSpace, Map.of());
    }

    private static LockAdmin admin(String keyPrefix) {
        return LockManagers.admin("redis", TestRedis.withServer(keyPrefix, Map.of()));
    }

    /**
     * A lock space of this class's own under {@code prefix}: a manager and an admin on it, and a
     * plain connection to the server for what neither shows.
     */
    private record Space(String prefix, LockManager manager, LockAdmin admin, TestRedis.Admin redis)
            implements AutoCloseable {

        static Space open(String prefix) {
            LockManager manager = TestRedis.open(prefix, Map.of());
            LockAdmin admin = RedisAdminTest.admin(prefix);
            return new Space(prefix, manager, admin, TestRedis.admin(TestRedis.uri()));
        }

        @Override
        public void close() {
            redis.close();
            admin.close();
            manager.close();
        }
    }

    @Test
    void aForcedReleaseLeavesTheFencingCounterAsItWas() {
        try (Space space = Space.open(prefix + "counter:")) {
            Lease lease =
                    space.manager().tryAcquire("r", "old", Duration.ZERO, LONG).orElseThrow();
            String fence = new RedisKeys(space.prefix()).leaseAndFence("r")[1];
            String before = space.redis().sync().get(fence);
            assertThat(before).isEqualTo(Long.toString(lease.fencingToken()));

            assertThat(space.admin().forceRelease("r")).isPresent();

            assertThat(space.redis().sync().get(fence)).isEqualTo(before);
        }
    }

    @Test
    void aKeyOfTheLeasePatternThatIsNoHashIsSkippedNotFatal() {
        try (Space space = Space.open(prefix + "odd:")) {
            space.manager().tryAcquire("real", "c", Duration.ZERO, LONG).orElseThrow();
            // What another program's plain key looks like under a shared (here: the test's) prefix.
            space.redis().sync().set(space.prefix() + "{odd}", "not a lease");

            assertThat(space.admin().list("", 100))
                    .extracting(LockInfo::resourceId)
                    .containsExactly("real");
            assertThat(space.admin().list("o", 100)).isEmpty();
        }
    }

    @Test
    void leaseKeysMapBackToTheirIdsAndNothingElseDoes() {
        RedisKeys keys = new RedisKeys("p:");
        for (String id : List.of("x", "%", "{}", "a%7Bb", "*?[]\\", "naïve ✓")) {
            assertThat(keys.resourceIdOf(keys.lease(id))).isEqualTo(id);
        }
        assertThat(keys.resourceIdOf(keys.leaseAndFence("x")[1])).isNull();
        assertThat(keys.resourceIdOf(keys.undo("x", 7)[1])).isNull();
        assertThat(keys.resourceIdOf("q:{x}")).isNull();
        assertThat(keys.resourceIdOf("p:{}")).isNull();
        assertThat(keys.leasePattern("a*")).isEqualTo("p:{a\\**}");
    }
}
