package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckBackends;
import io.dlm.tck.TckTimings;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * LISTEN/NOTIFY on PostgreSQL (L4, L5): a release on one manager wakes a waiter on another at once,
 * however long the holder's lease; waiters that time out or are interrupted leave no watch, pinned
 * connection or extra LISTEN behind; a lost listener connection comes back.
 */
class PostgresListenerTest {

    private static final TestDatabase DATABASE = TestDatabase.POSTGRESQL;

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(DATABASE, "listen");

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool();

    @AfterEach
    void closeEverything() throws Exception {
        threads.shutdownNow();
        threads.awaitTermination(10, TimeUnit.SECONDS);
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    /**
     * A backend on the test's own pool, so that the test can count the pool's connections, opened
     * as {@link JdbcLockManagers#open} opens it; the test keeps a hand on the backend.
     */
    private Opened open(HikariDataSource pool) {
        // No recheck of its own: a waiter here is woken by NOTIFY or not at all.
        Map<String, String> settings =
                Map.of("dlm.jdbc.table", TABLE.name(), "dlm.lease.min", "60s", "dlm.wait.recheck", "1h");
        AtomicReference<LockBackend> backend = new AtomicReference<>();
        LockManager manager = LockManagers.open(
                TckBackends.decorated(new DataSourceBackendProvider(pool), opened -> {
                    backend.set(opened);
                    return opened;
                }),
                settings);
        closeables.add(manager);
        assertThat(backend.get()).isInstanceOf(PostgresLockBackend.class);
        return new Opened(manager, (PostgresLockBackend) backend.get());
    }

    private record Opened(LockManager manager, PostgresLockBackend backend) {}

    /** A waiter on one of the test's threads, and that thread once it runs. */
    private record Waiter(Future<Boolean> result, AtomicReference<Thread> thread) {}

    private Waiter startWaiting(LockManager manager, String resource, String client, long timeoutMillis) {
        AtomicReference<Thread> thread = new AtomicReference<>();
        Future<Boolean> result = threads.submit(() -> {
            thread.set(Thread.currentThread());
            return manager.lock(resource, client, timeoutMillis);
        });
        return new Waiter(result, thread);
    }

    /**
     * Waits until the waiter has been refused and has marked the holder's lease (its last statement
     * before it sleeps), and then until its thread sleeps: what wakes it after that is the release.
     */
    private static void awaitAsleep(Waiter waiter, String resource) {
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> DATABASE.queryLong("SELECT COUNT(*) FROM " + TABLE.name()
                                + " WHERE watched AND lock_key = sha256(convert_to('" + resource + "', 'UTF8'))")
                        == 1);
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> {
                    Thread thread = waiter.thread().get();
                    Thread.State state = thread == null ? Thread.State.NEW : thread.getState();
                    return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
                });
    }

    private HikariDataSource pool() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(DATABASE.url());
        config.setUsername(DATABASE.user());
        config.setPassword(DATABASE.password());
        config.setMaximumPoolSize(8);
        config.setMinimumIdle(0);
        HikariDataSource pool = new HikariDataSource(config);
        closeables.add(pool);
        return pool;
    }

    private long listeners() {
        return DATABASE.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '"
                + Connections.listenerName(TableName.parse(TABLE.name())) + "'");
    }

    private long listenerPid() {
        return DATABASE.queryLong("SELECT COALESCE(MAX(pid), 0) FROM pg_stat_activity WHERE application_name = '"
                + Connections.listenerName(TableName.parse(TABLE.name())) + "'");
    }

    @Test
    void L4_releaseOnAnotherManagerWakesTheWaiterAtOnceDespiteALongLease() throws Exception {
        LockManager holding = open(pool()).manager();
        LockManager waiting = open(pool()).manager();
        assertThat(holding.lock("r", "holder", 0)).isTrue(); // a 60 s lease: no expiry in sight
        Waiter waiter = startWaiting(waiting, "r", "waiter", 30_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners() == 1);
        awaitAsleep(waiter, "r");
        long released = System.nanoTime();
        assertThat(holding.unlock("r", "holder")).isTrue();
        assertThat(waiter.result().get(5, TimeUnit.SECONDS)).isTrue();
        // Without NOTIFY it would sleep until the holder's lease ran out, a minute away.
        assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(TckTimings.scaled(Duration.ofSeconds(2)));
    }

    @Test
    void onlyReleasesThatSomeoneWaitsForNotify() throws Exception {
        LockManager holding = open(pool()).manager();
        LockManager waiting = open(pool()).manager();
        try (Connection spy = DATABASE.connect();
                Statement statement = spy.createStatement()) {
            statement.execute("LISTEN \"" + TABLE.name() + "\"");
            org.postgresql.PGConnection postgres = spy.unwrap(org.postgresql.PGConnection.class);
            for (int i = 0; i < 10; i++) {
                assertThat(holding.lock("quiet", "holder", 0)).isTrue();
                assertThat(waiting.lock("quiet", "other", 0)).isFalse(); // refused, but not waiting
                assertThat(holding.unlock("quiet", "holder")).isTrue();
            }
            statement.execute("SELECT 1"); // delivers whatever was sent meanwhile
            assertThat(postgres.getNotifications(200))
                    .as("notifications of unwatched releases")
                    .isEmpty();

            assertThat(holding.lock("watched", "holder", 0)).isTrue();
            Future<Boolean> waiter = threads.submit(() -> waiting.lock("watched", "waiter", 30_000));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> DATABASE.queryLong("SELECT COUNT(*) FROM " + TABLE.name()
                                    + " WHERE watched AND lock_key = sha256(convert_to('watched', 'UTF8'))")
                            == 1);
            assertThat(holding.unlock("watched", "holder")).isTrue();
            assertThat(waiter.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(postgres.getNotifications(5_000))
                    .as("notification of the watched release")
                    .hasSize(1);
        }
    }

    @Test
    void L5_waitersThatGaveUpLeaveNoWatchConnectionOrListenBehind() throws Exception {
        HikariDataSource pool = pool();
        Opened opened = open(pool);
        LockManager manager = opened.manager();
        LockManager other = open(pool()).manager();
        for (int i = 0; i < 5; i++) {
            assertThat(other.lock("r" + i, "holder", 0)).isTrue();
        }
        assertThat(listeners()).isZero();
        List<Future<Boolean>> timingOut = new ArrayList<>();
        List<Future<Boolean>> interrupted = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String resource = "r" + i;
            timingOut.add(threads.submit(() -> manager.lock(resource, "patient", 1_500)));
            interrupted.add(threads.submit(() -> manager.lock(resource, "impatient", 60_000)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> opened.backend().watchCount() == 5);
        // One LISTEN connection serves all waiters; it is the only connection they keep.
        assertThat(listeners()).isEqualTo(1);
        for (Future<Boolean> waiter : timingOut) {
            assertThat(waiter.get(10, TimeUnit.SECONDS)).isFalse();
        }
        interrupted.forEach(waiter -> waiter.cancel(true));
        await().atMost(Duration.ofSeconds(10)).until(() -> opened.backend().watchCount() == 0);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pool.getHikariPoolMXBean().getActiveConnections())
                        .as("connections in use: the listener's only")
                        .isEqualTo(1));
        assertThat(listeners()).isEqualTo(1);
        // Nothing left queued or listening could take the locks: each is free once released.
        for (int i = 0; i < 5; i++) {
            assertThat(other.unlock("r" + i, "holder")).isTrue();
            assertThat(manager.inspect("r" + i)).isEmpty();
        }
        manager.close();
        assertThat(pool.getHikariPoolMXBean().getActiveConnections()).isZero();
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners() == 0);
    }

    @Test
    void L4_aKilledListenerConnectionComesBackAndStillWakesWaiters() throws Exception {
        LockManager holding = open(pool()).manager();
        Opened waitingSide = open(pool());
        LockManager waiting = waitingSide.manager();
        assertThat(holding.lock("r", "holder", 0)).isTrue();
        Waiter first = startWaiting(waiting, "r", "waiter", 30_000);
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners() == 1);
        awaitAsleep(first, "r");
        long killed = listenerPid();
        try (Connection admin = DATABASE.connect();
                Statement statement = admin.createStatement()) {
            statement.execute("SELECT pg_terminate_backend(" + killed + ")");
        }
        // A new listener connection, LISTENing: a release from now on is heard.
        await().atMost(Duration.ofSeconds(10)).until(() -> listeners() == 1 && listenerPid() != killed);
        // The waiter, woken by the loss and again by the reconnection, has tried and sleeps again.
        awaitAsleep(first, "r");
        long released = System.nanoTime();
        assertThat(holding.unlock("r", "holder")).isTrue();
        assertThat(first.result().get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(TckTimings.scaled(Duration.ofSeconds(2)));
    }

    @Test
    void X1_aWatchThatCannotListenFailsWithinTheOperationTimeoutAndLeavesNothing() {
        ReleaseListener listener = new ReleaseListener(
                () -> java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=1"),
                TABLE.name(),
                Duration.ofSeconds(1));
        closeables.add(listener);
        long start = System.nanoTime();
        assertThatThrownBy(() -> listener.watch("00", () -> {}))
                .isInstanceOf(LockException.class)
                .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR))
                .hasMessageContaining("LISTEN")
                .hasCauseInstanceOf(java.sql.SQLException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TckTimings.scaled(Duration.ofSeconds(3)));
        assertThat(listener.watchCount()).isZero();
        listener.close();
        assertThat(Thread.getAllStackTraces().keySet().stream()
                        .filter(Thread::isAlive)
                        .map(Thread::getName)
                        .filter(name -> name.startsWith("dlm-jdbc-listener")))
                .as("listener threads after close")
                .isEmpty();
    }
}
