package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operator's tier of the TCK (SPEC O4): what {@code dlm list} and {@code dlm release --force}
 * rely on, for a backend that implements {@link io.dlm.spi.EnumeratingLockBackend} and {@link
 * io.dlm.spi.BreakingLockBackend}. A backend's test extends it and says how to make a lock space:
 *
 * <pre>{@code
 * class RedisAdminTest extends LockAdminTck {
 *     protected String backend() { return "redis"; }
 *     protected Map<String, String> newLockSpace() {
 *         return Map.of("dlm.redis.uri", URI, "dlm.redis.key-prefix", uniquePrefix());
 *     }
 * }
 * }</pre>
 *
 * <p>Each test asks for the lock spaces it uses, opens managers and admins on them through {@link
 * LockManagers}, and closes them afterwards. Timings scale with {@link TckTimings}.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
public abstract class LockAdminTck {

    private final List<AutoCloseable> opened = new ArrayList<>();

    /** For subclasses: a backend's test class. */
    protected LockAdminTck() {}

    /**
     * The provider name of the backend under test, as {@link LockManagers#open} takes it.
     *
     * @return e.g. {@code redis}
     */
    protected abstract String backend();

    /**
     * The settings of a new, empty lock space on the engine under test: managers and admins opened
     * with the same settings see the same locks; those opened with the settings of another call see
     * none of them. A Redis key prefix, a JDBC table, an etcd namespace, a ZooKeeper path. The test
     * class removes the space afterwards if it must.
     *
     * @return the connection and lock-space settings ({@code dlm.*} keys)
     */
    protected abstract Map<String, String> newLockSpace();

    /**
     * The engine's lease granularity (E1), as for {@link LockManagerTck#leaseGranularity()}.
     *
     * @return a positive duration, {@code 1 ns} by default
     */
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1);
    }

    /**
     * How soon after a forced release a waiter parked on the resource must have it. An engine that
     * announces releases (a watch, a channel) wakes it at once; one whose waiters poll with a
     * backoff bounded by the lease may take up to that.
     *
     * @return by default {@link #prompt()}
     */
    protected Duration forcedReleaseWakesWaiterWithin() {
        return prompt();
    }

    /**
     * Opens the admin under test on a lock space. Override only to wrap it (the TCK's own self-test
     * plants flaws this way).
     *
     * @param settings the settings of a lock space from {@link #newLockSpace()}, perhaps with more
     * @return an open admin, which the TCK closes
     */
    protected LockAdmin openAdmin(Map<String, String> settings) {
        return LockManagers.admin(backend(), settings);
    }

    @AfterEach
    final void closeEverything() throws Exception {
        Exception first = null;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        opened.clear();
        if (first != null) {
            throw first;
        }
    }

    @Test
    void O4_listShowsTheLiveLocksOfItsOwnLockSpaceOnly() {
        Map<String, String> space = newLockSpace();
        LockManager manager = manager(space);
        LockManager elsewhere = manager(newLockSpace());
        LockAdmin admin = admin(space);
        for (String id : List.of("b", "a", "c")) {
            assertThat(manager.tryAcquire(id, "holder-" + id, Duration.ZERO, longLease()))
                    .isPresent();
        }
        assertThat(manager.tryAcquire("released", "done", Duration.ZERO, longLease())
                        .orElseThrow()
                        .release())
                .isTrue();
        assertThat(manager.tryAcquire("expiring", "brief", Duration.ZERO, shortLease()))
                .isPresent();
        assertThat(elsewhere.tryAcquire("a-elsewhere", "other", Duration.ZERO, longLease()))
                .isPresent();
        // Only live leases are listed (E2): once the short one has run out, it is gone.
        await().until(() -> admin.inspect("expiring").isEmpty());

        assertThat(admin.canList()).as("canList()").isTrue();
        assertThat(admin.list("", 100))
                .as("list(\"\", 100): the live locks of this lock space, sorted by resource id")
                .extracting(LockInfo::resourceId)
                .containsExactly("a", "b", "c");
    }

    @Test
    void O4_listMatchesThePrefixExactlyWhateverItsCharacters() {
        Map<String, String> space = newLockSpace();
        LockManager manager = manager(space);
        LockAdmin admin = admin(space);
        // The wildcards and escapes of SQL LIKE, Redis SCAN, globs and regular expressions, a
        // separator of paths and keys, and characters outside ASCII: each is only itself.
        List<String> ids = List.of(
                "a%b", "a_c", "a*b", "a?d", "a[1]", "a{1}", "a\\z", "a/b", "a.b", "axb", "añ", "a\0z", "a😀", "b");
        for (String id : ids) {
            assertThat(manager.tryAcquire(id, "c", Duration.ZERO, longLease())).isPresent();
        }

        List<String> sorted = ids.stream().sorted().toList();
        assertThat(admin.list("", 100)).extracting(LockInfo::resourceId).containsExactlyElementsOf(sorted);
        for (String id : ids) {
            String prefix = id.substring(0, id.offsetByCodePoints(0, Math.min(2, id.codePointCount(0, id.length()))));
            List<String> expected =
                    sorted.stream().filter(each -> each.startsWith(prefix)).toList();
            assertThat(admin.list(prefix, 100))
                    .as("list(%s)", printable(prefix))
                    .extracting(LockInfo::resourceId)
                    .containsExactlyElementsOf(expected);
        }
        assertThat(admin.list("a", 100)).hasSize(ids.size() - 1);
        assertThat(admin.list("a%", 100)).extracting(LockInfo::resourceId).containsExactly("a%b");
        assertThat(admin.list("zzz", 100)).as("list(\"zzz\")").isEmpty();
    }

    @Test
    void O4_listReturnsAtMostTheLimitSorted() {
        Map<String, String> space = newLockSpace();
        LockManager manager = manager(space);
        LockAdmin admin = admin(space);
        List<String> ids = List.of("r5", "r1", "r4", "r2", "r3");
        for (String id : ids) {
            assertThat(manager.tryAcquire(id, "c", Duration.ZERO, longLease())).isPresent();
        }

        for (int limit = 1; limit <= ids.size() + 1; limit++) {
            List<String> listed =
                    admin.list("r", limit).stream().map(LockInfo::resourceId).toList();
            assertThat(listed).as("list(\"r\", %d)", limit).hasSize(Math.min(limit, ids.size()));
            assertThat(listed).isSorted().doesNotHaveDuplicates();
            assertThat(ids).containsAll(listed);
        }
    }

    @Test
    void O4_listedLocksAreDescribedAsInspectDescribesThem() {
        Map<String, String> space = newLockSpace();
        LockManager manager = manager(space);
        LockAdmin admin = admin(space);
        Lease lease = manager.tryAcquire("job", "worker-7", Duration.ZERO, longLease())
                .orElseThrow();

        LockInfo listed = admin.list("job", 10).get(0);
        LockInfo inspected = admin.inspect("job").orElseThrow();

        assertThat(listed.resourceId()).isEqualTo("job");
        assertThat(listed.clientId()).isEqualTo("worker-7").isEqualTo(inspected.clientId());
        assertThat(listed.fencingToken()).isEqualTo(lease.fencingToken()).isEqualTo(inspected.fencingToken());
        assertThat(listed.remaining())
                .as("remaining() of a listed lock")
                .isPositive()
                .isLessThanOrEqualTo(effective(longLease()));
    }

    @Test
    void O4_aForcedReleaseReturnsTheBrokenLeaseAndFreesTheResource() {
        Map<String, String> space = newLockSpace();
        LockManager holder = manager(space);
        LockAdmin admin = admin(space);
        Lease lease =
                holder.tryAcquire("job", "old", Duration.ZERO, longLease()).orElseThrow();

        assertThat(admin.canForceRelease()).as("canForceRelease()").isTrue();
        LockInfo broken = admin.forceRelease("job").orElseThrow();

        assertThat(broken.resourceId()).isEqualTo("job");
        assertThat(broken.clientId()).isEqualTo("old");
        assertThat(broken.fencingToken()).isEqualTo(lease.fencingToken());
        assertThat(admin.inspect("job")).as("inspect after a forced release").isEmpty();
        assertThat(holder.inspect("job")).isEmpty();
        assertThat(admin.forceRelease("job"))
                .as("forceRelease of a free resource")
                .isEmpty();
        assertThat(admin.forceRelease("never-held")).isEmpty();
    }

    @Test
    void O4_theFormerHolderHoldsNothingAndTheNextHolderGetsALargerToken() {
        Map<String, String> space = newLockSpace();
        LockManager holder = manager(space);
        LockManager next = manager(space);
        LockAdmin admin = admin(space);
        Lease lease =
                holder.tryAcquire("job", "old", Duration.ZERO, longLease()).orElseThrow();
        LockInfo broken = admin.forceRelease("job").orElseThrow();

        assertThat(lease.renew()).as("renew() of a broken lease (H2)").isFalse();
        assertThat(holder.heartbeat("job", "old"))
                .as("heartbeat of a broken lease")
                .isFalse();
        assertThat(holder.unlock("job", "old"))
                .as("unlock of a broken lease (U2)")
                .isFalse();
        Lease taken = next.tryAcquire("job", "new", Duration.ZERO, longLease()).orElseThrow();
        assertThat(taken.fencingToken())
                .as("the next holder's token after a forced release (F1)")
                .isGreaterThan(broken.fencingToken());
        // Again once the resource is held anew: a renewal or release that checked only the
        // resource, or a version number that restarted, would now act on the new holder's lock.
        assertThat(lease.renew())
                .as("renew() of the broken lease, with a new holder")
                .isFalse();
        assertThat(holder.heartbeat("job", "old"))
                .as("heartbeat of the broken lease, with a new holder")
                .isFalse();
        assertThat(lease.release())
                .as("release() of the broken lease, with a new holder")
                .isFalse();
        LockInfo now = admin.inspect("job").orElseThrow();
        assertThat(now.clientId()).isEqualTo("new");
        assertThat(now.fencingToken()).isEqualTo(taken.fencingToken());
    }

    @Test
    void O4_aKeptAliveLeaseIsReportedLostAfterAForcedRelease() throws Exception {
        Map<String, String> space = newLockSpace();
        LockManager holder = manager(space);
        LockAdmin admin = admin(space);
        Duration leaseTime = effective(TckTimings.scaledMillis(3_000));
        Lease lease = holder.tryAcquire("job", "old", Duration.ZERO, leaseTime)
                .orElseThrow()
                .keepAlive();

        admin.forceRelease("job").orElseThrow();

        // The renewal after the break fails, and that is a loss (K3), at the latest when the lease
        // would have run out.
        LockException lost =
                lease.lost().toCompletableFuture().get(leaseTime.plus(prompt()).toMillis(), TimeUnit.MILLISECONDS);
        assertThat(lost).as("the loss reported by lost()").isNotNull();
        assertThat(lease.isValid()).as("isValid() once lost (K2)").isFalse();
    }

    @Test
    void O4_aForcedReleaseWakesAWaiter() throws Exception {
        Map<String, String> space = newLockSpace();
        LockManager holder = manager(space);
        // The waiter's own re-check would wake it soon enough by itself: an hour leaves the forced
        // release (and whatever announces it) as the only thing that can.
        Map<String, String> slowRecheck = new HashMap<>(space);
        slowRecheck.put("dlm.wait.recheck", "1h");
        LockManager waiter = manager(slowRecheck);
        LockAdmin admin = admin(space);
        holder.tryAcquire("r", "old", Duration.ZERO, longLease()).orElseThrow();
        Background<Boolean> waiting = Background.start(
                "lock(r, new)", () -> waiter.lock("r", "new", longLease().toMillis()));
        try {
            await().during(TckTimings.scaledMillis(100)).until(() -> {
                if (waiting.isDone()) {
                    throw new AssertionError("lock(r, new) returned before the forced release");
                }
                return waiting.isParked();
            });

            admin.forceRelease("r").orElseThrow();

            assertThat(waiting.result(forcedReleaseWakesWaiterWithin()))
                    .as("the waiter's lock() after a forced release")
                    .isTrue();
            assertThat(admin.inspect("r").orElseThrow().clientId()).isEqualTo("new");
        } finally {
            waiting.stop(prompt());
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private LockManager manager(Map<String, String> settings) {
        return closedLater(LockManagers.open(backend(), settings));
    }

    private LockAdmin admin(Map<String, String> settings) {
        return closedLater(openAdmin(settings));
    }

    private <T extends AutoCloseable> T closedLater(T resource) {
        opened.add(resource);
        return resource;
    }

    private Duration effective(Duration lease) {
        long grain = leaseGranularity().toNanos();
        return Duration.ofNanos((lease.toNanos() + grain - 1) / grain * grain);
    }

    /**
     * How soon a woken waiter must return, as in the main tier.
     *
     * @return one second, scaled by the timeout multiplier
     */
    protected static Duration prompt() {
        return TckTimings.scaledMillis(1_000);
    }

    private static Duration longLease() {
        return TckTimings.scaledMillis(60_000);
    }

    private static Duration shortLease() {
        return TckTimings.scaledMillis(300);
    }

    private static org.awaitility.core.ConditionFactory await() {
        return Awaitility.await().atMost(TckTimings.scaledMillis(30_000)).pollInterval(Duration.ofMillis(20));
    }

    private static String printable(String text) {
        return text.replace("\0", "\\0");
    }
}
