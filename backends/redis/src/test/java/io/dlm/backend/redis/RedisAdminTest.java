package io.dlm.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator's capabilities of the Redis backend (O4): listing the live leases of its own key
 * prefix with {@code SCAN}, and breaking a lease so that the next holder gets a larger token (F1).
 */
class RedisAdminTest {

    private static final Duration LONG = Duration.ofSeconds(30);

    private static String prefix;

    @BeforeAll
    static void server() {
        TestRedis.assumeAvailable();
        prefix = TestRedis.uniquePrefix("RedisAdminTest");
    }

    @AfterAll
    static void cleanUp() {
        if (prefix != null) {
            TestRedis.deleteKeys(prefix);
            TestRedis.deleteKeys(prefix + "sibling");
        }
    }

    private static LockAdmin admin(String keyPrefix) {
        return LockManagers.admin("redis", TestRedis.withServer(keyPrefix, Map.of()));
    }

    @Test
    void listsOnlyLiveLeasesOfItsOwnPrefixWhoseIdsStartWithTheGivenTextTakenLiterally() throws Exception {
        String space = prefix + "list:";
        try (LockManager manager = TestRedis.open(space, Map.of());
                LockManager sibling = TestRedis.open(space + "sibling", Map.of());
                LockAdmin admin = admin(space)) {
            for (String id : List.of("a*b", "a*c", "axb", "a{1}%", "a\\[?]", "b")) {
                assertThat(manager.tryAcquire(id, "c-" + id, Duration.ZERO, LONG))
                        .isPresent();
            }
            assertThat(sibling.tryAcquire("a*z", "other", Duration.ZERO, LONG)).isPresent();
            assertThat(manager.tryAcquire("a-short", "brief", Duration.ZERO, Duration.ofMillis(50)))
                    .isPresent();
            // The short lease runs out: only live leases are listed.
            Awaitility.await()
                    .atMost(Duration.ofSeconds(30))
                    .until(() -> admin.inspect("a-short").isEmpty());

            assertThat(admin.canList()).isTrue();
            assertThat(admin.list("a*", 100)).extracting(LockInfo::resourceId).containsExactly("a*b", "a*c");
            assertThat(admin.list("a", 100))
                    .extracting(LockInfo::resourceId)
                    .containsExactly("a*b", "a*c", "a\\[?]", "axb", "a{1}%");
            assertThat(admin.list("a{", 100)).extracting(LockInfo::resourceId).containsExactly("a{1}%");
            assertThat(admin.list("a\\[?", 100))
                    .extracting(LockInfo::resourceId)
                    .containsExactly("a\\[?]");
            assertThat(admin.list("", 100)).hasSize(6);
            assertThat(admin.list("", 2)).hasSize(2);
            assertThat(admin.list("zzz", 100)).isEmpty();

            LockInfo b = admin.list("b", 10).get(0);
            LockInfo inspected = manager.inspect("b").orElseThrow();
            assertThat(b.clientId()).isEqualTo("c-b");
            assertThat(b.fencingToken()).isEqualTo(inspected.fencingToken());
            assertThat(b.remaining()).isPositive().isLessThanOrEqualTo(LONG);
        }
    }

    @Test
    void aForcedReleaseReturnsTheBrokenLeaseAndTheNextHolderGetsALargerToken() {
        String space = prefix + "force:";
        try (LockManager holder = TestRedis.open(space, Map.of());
                LockManager next = TestRedis.open(space, Map.of());
                LockAdmin admin = admin(space)) {
            Lease lease = holder.tryAcquire("job", "old", Duration.ZERO, LONG).orElseThrow();

            LockInfo broken = admin.forceRelease("job").orElseThrow();

            assertThat(broken.clientId()).isEqualTo("old");
            assertThat(broken.fencingToken()).isEqualTo(lease.fencingToken());
            assertThat(admin.inspect("job")).isEmpty();
            assertThat(lease.renew()).isFalse();
            assertThat(holder.heartbeat("job", "old")).isFalse();
            assertThat(holder.unlock("job", "old")).isFalse();
            Lease taken = next.tryAcquire("job", "new", Duration.ZERO, LONG).orElseThrow();
            assertThat(taken.fencingToken()).isGreaterThan(broken.fencingToken());
            assertThat(lease.release()).isFalse();
            assertThat(admin.inspect("job").orElseThrow().clientId()).isEqualTo("new");
            assertThat(admin.forceRelease("free")).isEmpty();
        }
    }

    @Test
    void aForcedReleaseWakesAParkedWaiterAtOnce() throws Exception {
        String space = prefix + "wake:";
        // The waiter's own re-check (500 ms by default) would wake it soon enough by itself: an
        // hour leaves the forced release's announcement as the only thing that can.
        try (LockManager holder = TestRedis.open(space, Map.of());
                LockManager waiter = TestRedis.open(space, Map.of("dlm.wait.recheck", "1h"));
                LockAdmin admin = admin(space)) {
            holder.tryAcquire("r", "old", Duration.ZERO, LONG).orElseThrow();
            CompletableFuture<Boolean> waiting = new CompletableFuture<>();
            Thread thread = new Thread(() -> {
                try {
                    waiting.complete(waiter.lock("r", "new", 20_000));
                } catch (RuntimeException | Error e) {
                    waiting.completeExceptionally(e);
                }
            });
            thread.start();
            awaitParked(thread);

            long start = System.nanoTime();
            assertThat(admin.forceRelease("r")).isPresent();
            assertThat(waiting.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
    }

    @Test
    void aForcedReleaseLeavesTheFencingCounterAsItWas() {
        String space = prefix + "counter:";
        try (LockManager holder = TestRedis.open(space, Map.of());
                LockAdmin admin = admin(space);
                TestRedis.Admin redis = TestRedis.admin(TestRedis.uri())) {
            Lease lease = holder.tryAcquire("r", "old", Duration.ZERO, LONG).orElseThrow();
            String fence = new RedisKeys(space).leaseAndFence("r")[1];
            String before = redis.sync().get(fence);
            assertThat(before).isEqualTo(Long.toString(lease.fencingToken()));

            assertThat(admin.forceRelease("r")).isPresent();

            assertThat(redis.sync().get(fence)).isEqualTo(before);
        }
    }

    /** Waits until the thread is parked by the runtime, waiting for its turn, not in a reply's wait. */
    private static void awaitParked(Thread thread) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(thread.getState() == Thread.State.TIMED_WAITING || thread.getState() == Thread.State.WAITING)
                || LockSupport.getBlocker(thread) == null
                || !parkedByTheRuntime(thread)) {
            assertThat(System.nanoTime()).as("the waiter parks within 10 s").isLessThan(deadline);
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** A pool or driver may park too; only the runtime's wait for its turn counts. */
    private static boolean parkedByTheRuntime(Thread thread) {
        StackTraceElement[] frames = thread.getStackTrace();
        for (int i = 0; i + 1 < frames.length; i++) {
            if (frames[i].getClassName().equals(LockSupport.class.getName())) {
                return frames[i + 1].getMethodName().equals("awaitTurn");
            }
        }
        return false;
    }

    @Test
    void aKeyOfTheLeasePatternThatIsNoHashIsSkippedNotFatal() {
        String space = prefix + "odd:";
        try (LockManager manager = TestRedis.open(space, Map.of());
                LockAdmin admin = admin(space);
                TestRedis.Admin redis = TestRedis.admin(TestRedis.uri())) {
            manager.tryAcquire("real", "c", Duration.ZERO, LONG).orElseThrow();
            // What another program's plain key looks like under a shared (here: the test's) prefix.
            redis.sync().set(space + "{odd}", "not a lease");

            assertThat(admin.list("", 100)).extracting(LockInfo::resourceId).containsExactly("real");
            assertThat(admin.list("o", 100)).isEmpty();
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
