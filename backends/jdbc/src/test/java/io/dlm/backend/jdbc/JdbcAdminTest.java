package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.Lease;
import io.dlm.LockAdmin;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The operator's capabilities of the JDBC backend (O4) on every database: listing the live leases
 * of its own table, and breaking a lease so that the next holder gets a larger token (F1). Each
 * test uses tables of its own.
 */
class JdbcAdminTest {

    private static final Duration LONG = Duration.ofSeconds(30);

    private final List<AutoCloseable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private Map<String, String> settings(TestDatabase database) {
        database.assumeAvailable();
        String table = database.createTable("admin");
        cleanup.add(() -> database.dropTable(table));
        return database.settings(table);
    }

    private <T extends AutoCloseable> T closedLater(T resource) {
        cleanup.add(resource);
        return resource;
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void listsOnlyLiveLeasesOfItsOwnTableWhoseIdsStartWithTheGivenText(TestDatabase database) throws Exception {
        Map<String, String> settings = settings(database);
        LockManager manager = closedLater(LockManagers.open("jdbc", settings));
        LockManager other = closedLater(LockManagers.open("jdbc", settings(database)));
        LockAdmin admin = closedLater(LockManagers.admin("jdbc", settings));
        for (String id : List.of("a%b", "a_c", "axb", "a\0z", "añ", "b")) {
            assertThat(manager.tryAcquire(id, "c-" + id, Duration.ZERO, LONG)).isPresent();
        }
        assertThat(other.tryAcquire("a%z", "elsewhere", Duration.ZERO, LONG)).isPresent();
        assertThat(manager.tryAcquire("a-short", "brief", Duration.ZERO, Duration.ofMillis(50)))
                .isPresent();
        assertThat(manager.tryAcquire("a-released", "done", Duration.ZERO, LONG)
                        .orElseThrow()
                        .release())
                .isTrue();
        // The short lease runs out: only live leases are listed.
        Awaitility.await()
                .atMost(Duration.ofSeconds(30))
                .until(() -> admin.inspect("a-short").isEmpty());

        assertThat(admin.canList()).isTrue();
        assertThat(admin.list("a%", 100)).extracting(LockInfo::resourceId).containsExactly("a%b");
        assertThat(admin.list("a", 100))
                .extracting(LockInfo::resourceId)
                .containsExactly("a\0z", "a%b", "a_c", "axb", "añ");
        assertThat(admin.list("añ", 100)).extracting(LockInfo::resourceId).containsExactly("añ");
        assertThat(admin.list("", 100)).hasSize(6);
        assertThat(admin.list("", 2)).extracting(LockInfo::resourceId).containsExactly("a\0z", "a%b");
        assertThat(admin.list("zzz", 100)).isEmpty();

        LockInfo b = admin.list("b", 10).get(0);
        assertThat(b.clientId()).isEqualTo("c-b");
        assertThat(b.fencingToken())
                .isEqualTo(manager.inspect("b").orElseThrow().fencingToken());
        assertThat(b.remaining()).isPositive().isLessThanOrEqualTo(LONG);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aForcedReleaseReturnsTheBrokenLeaseAndTheNextHolderGetsALargerToken(TestDatabase database) {
        Map<String, String> settings = settings(database);
        LockManager holder = closedLater(LockManagers.open("jdbc", settings));
        LockManager next = closedLater(LockManagers.open("jdbc", settings));
        LockAdmin admin = closedLater(LockManagers.admin("jdbc", settings));
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

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aForcedReleaseWakesAParkedWaiterLongBeforeTheLeaseEnds(TestDatabase database) throws Exception {
        Map<String, String> settings = settings(database);
        LockManager holder = closedLater(LockManagers.open("jdbc", settings));
        // On PostgreSQL the waiter's own re-check (500 ms by default) would wake it soon enough by
        // itself: an hour leaves the forced release's notification as the only thing that can.
        Map<String, String> slowRecheck = new HashMap<>(settings);
        slowRecheck.put("dlm.wait.recheck", "1h");
        LockManager waiter = closedLater(LockManagers.open("jdbc", slowRecheck));
        LockAdmin admin = closedLater(LockManagers.admin("jdbc", settings));
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
        // PostgreSQL notifies at once; MariaDB and H2 waiters poll with backoff bounded by the lease.
        assertThat(waiting.get(LONG.toSeconds(), TimeUnit.SECONDS)).isTrue();
        if (database == TestDatabase.POSTGRESQL) {
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        }
    }

    /** Waits until the thread is parked by the runtime (not in a query, not running). */
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
}
