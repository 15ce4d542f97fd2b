package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import io.dlm.tck.support.CapturedLog;
import io.lettuce.core.RedisCommandExecutionException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Keys evicted by {@code maxmemory}: the backend warns at open when the server's policy may evict
 * (read by {@code CONFIG GET}, else from {@code INFO memory}, else says it could not check), and a
 * lease that Redis did evict is reported lost, never renewed. Private {@code redis-server}s only.
 */
class RedisEvictionTest {

    private static final String RESOURCE = "report/9";
    private static final String PASSWORD = "acl-s3cret";
    /** Big enough that a few hundred of them fill the small servers below. */
    private static final String JUNK = "x".repeat(10_000);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"allkeys-lru", "volatile-lru", "volatile-ttl", "allkeys-random"})
    void aPolicyThatEvictsIsWarnedAboutOnceAtOpen(String policy) throws Exception {
        try (PrivateRedisServer server =
                        PrivateRedisServer.start(dir, "--maxmemory", "64mb", "--maxmemory-policy", policy);
                CapturedLog log = new CapturedLog(EvictionCheck.class);
                LockManager manager = open(server.uri())) {
            assertThat(manager.lock(RESOURCE, "c", 0)).isTrue();
            assertThat(log.records())
                    .singleElement()
                    .satisfies(logged -> assertThat(logged.getLevel()).isEqualTo(java.util.logging.Level.WARNING));
            assertThat(log.messages().get(0))
                    .contains("maxmemory-policy is " + policy)
                    .contains("127.0.0.1:" + server.port())
                    .contains("noeviction")
                    .contains(policy.startsWith("volatile-") ? "expiry" : "fencing counters");
        }
    }

    @Test
    void noevictionIsNotWarnedAbout() throws Exception {
        try (PrivateRedisServer server =
                        PrivateRedisServer.start(dir, "--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
                CapturedLog log = new CapturedLog(EvictionCheck.class);
                LockManager manager = open(server.uri())) {
            assertThat(manager.lock(RESOURCE, "c", 0)).isTrue();
            assertThat(log.records()).isEmpty();
        }
    }

    @Test
    void whereConfigIsRefusedThePolicyIsReadFromInfoAndWhereBothAreItSaysItCouldNotCheck() throws Exception {
        List<String> args = new ArrayList<>(List.of("--maxmemory-policy", "allkeys-lru"));
        // As on managed services: CONFIG forbidden; and a user that may not read INFO either.
        args.addAll(userDenied("noconfig", "config"));
        args.addAll(userDenied("blind", "config", "info"));
        try (PrivateRedisServer server = PrivateRedisServer.start(dir, args.toArray(String[]::new))) {
            try (CapturedLog log = new CapturedLog(EvictionCheck.class);
                    LockManager manager = open(asUser(server, "noconfig"))) {
                assertThat(manager.lock(RESOURCE, "c", 0)).isTrue();
                assertThat(log.messages())
                        .singleElement()
                        .asString()
                        .contains("maxmemory-policy is allkeys-lru")
                        .doesNotContain(PASSWORD);
            }
            try (CapturedLog log = new CapturedLog(EvictionCheck.class);
                    LockManager manager = open(asUser(server, "blind"))) {
                assertThat(manager.lock(RESOURCE + "/2", "c", 0)).isTrue();
                assertThat(log.messages())
                        .singleElement()
                        .asString()
                        .contains("Could not read the maxmemory-policy")
                        .contains("127.0.0.1:" + server.port())
                        .contains("noeviction")
                        .doesNotContain(PASSWORD);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"volatile-lru", "allkeys-lru"})
    void aLeaseEvictedUnderMemoryPressureIsReportedLostAndTheNextHolderGetsALargerToken(String policy)
            throws Exception {
        RedisKeys keys = new RedisKeys(RedisSettings.DEFAULT_KEY_PREFIX);
        try (PrivateRedisServer server =
                        PrivateRedisServer.start(dir, "--maxmemory", "4mb", "--maxmemory-policy", policy);
                TestRedis.Admin admin = TestRedis.admin(server.uri());
                LockManager holding = open(server.uri());
                LockManager other = open(server.uri())) {
            Lease lease = holding.tryAcquire(RESOURCE, "holder", Duration.ZERO, Duration.ofSeconds(60))
                    .orElseThrow();
            long token = lease.fencingToken();

            List<String> junk = fillUntilGone(admin, keys.lease(RESOURCE));
            assertThat(admin.sync().exists(keys.lease(RESOURCE)))
                    .as("Redis evicted the live lease")
                    .isZero();
            assertThat(admin.sync().info("stats")).containsPattern("evicted_keys:[1-9]");

            // Reported as lost, by every way of asking: nothing throws, nothing revives it.
            assertThat(holding.inspect(RESOURCE)).isEmpty();
            assertThat(lease.renew()).isFalse();
            assertThat(lease.isValid()).isFalse();
            assertThat(lease.lost()
                            .toCompletableFuture()
                            .get(TckTimings.scaled(Duration.ofSeconds(5)).toMillis(), TimeUnit.MILLISECONDS)
                            .error())
                    .isEqualTo(LockError.LOCK_NOT_HELD);
            assertThat(holding.heartbeat(RESOURCE, "holder")).isFalse();
            assertThat(holding.unlock(RESOURCE, "holder")).isFalse();

            // Once there is room again, another client gets the lock, with a larger token: from the
            // counter, or, where the counter was evicted too, from the server's clock.
            admin.sync().del(junk.toArray(String[]::new));
            assertThat(other.lock(RESOURCE, "next", 0)).isTrue();
            assertThat(other.inspect(RESOURCE).orElseThrow().fencingToken()).isGreaterThan(token);
        }
    }

    @Test
    void underNoevictionAFullRedisRefusesNewLocksButRenewsAndReleasesHeldOnes() throws Exception {
        try (PrivateRedisServer server =
                        PrivateRedisServer.start(dir, "--maxmemory", "64mb", "--maxmemory-policy", "noeviction");
                TestRedis.Admin admin = TestRedis.admin(server.uri());
                LockManager holding = open(server.uri());
                LockManager other = open(server.uri())) {
            Lease lease = holding.tryAcquire(RESOURCE, "holder", Duration.ZERO, Duration.ofSeconds(60))
                    .orElseThrow();
            for (int i = 0; i < 200; i++) {
                admin.sync().set("junk:" + i, JUNK);
            }
            // Full, for writes of any size: the limit is now below what the server already uses.
            long used = Long.parseLong(admin.sync()
                    .info("memory")
                    .lines()
                    .filter(line -> line.startsWith("used_memory:"))
                    .findFirst()
                    .orElseThrow()
                    .substring("used_memory:".length())
                    .strip());
            admin.sync().configSet("maxmemory", Long.toString(used - 1_000_000L));

            Throwable refused = catchThrowable(() -> other.lock(RESOURCE + "/other", "c", 0));
            assertThat(refused)
                    .isInstanceOfSatisfying(
                            LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR))
                    .hasMessageContaining("OOM");
            assertThat(lease.renew()).isTrue();
            assertThat(lease.release()).isTrue();
        }
    }

    /**
     * Writes junk keys without an expiry until {@code key} is gone or Redis refuses a write for
     * lack of memory (it had nothing left that its policy lets it evict).
     *
     * @return the junk keys written
     */
    private static List<String> fillUntilGone(TestRedis.Admin admin, String key) {
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            String junk = "junk:" + i;
            try {
                admin.sync().set(junk, JUNK);
            } catch (RedisCommandExecutionException e) {
                assertThat(e).hasMessageContaining("OOM");
                return written;
            }
            written.add(junk);
            if (i % 10 == 0 && admin.sync().exists(key) == 0) {
                return written;
            }
        }
        throw new AssertionError("Redis neither evicted " + key + " nor ran out of memory");
    }

    /**
     * The {@code redis-server} arguments that add an ACL user with {@link #PASSWORD} and every
     * right but the commands {@code denied}.
     */
    private static List<String> userDenied(String user, String... denied) {
        List<String> args = new ArrayList<>(List.of("--user", user, "on", ">" + PASSWORD, "~*", "&*", "+@all"));
        for (String command : denied) {
            args.add("-" + command);
        }
        return args;
    }

    private static String asUser(PrivateRedisServer server, String user) {
        return "redis://" + user + ":" + PASSWORD + "@127.0.0.1:" + server.port();
    }

    private static LockManager open(String uri) {
        return LockManagers.open("redis", Map.of("dlm.redis.uri", uri));
    }
}
