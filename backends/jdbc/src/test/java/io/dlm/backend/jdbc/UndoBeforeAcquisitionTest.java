package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An undo that reaches the database before the acquisition it undoes (X5, N3): the undo runs on
 * another pooled connection than the lost acquisition, so a statement held up in the network, a
 * driver or a proxy may arrive after it. The undo leaves a tombstone, and the late acquisition is
 * refused instead of taking the resource for a whole lease with nobody holding it. Driven through
 * the SPI of a real backend, as the runtime drives it.
 */
class UndoBeforeAcquisitionTest {

    private static final long LEASE = Duration.ofMinutes(5).toNanos();

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private TestDatabase database;
    private String table;

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    private LockBackend open(TestDatabase on) {
        on.assumeAvailable();
        database = on;
        table = on.createTable("tomb");
        cleanup.add(() -> on.dropTable(table));
        LockBackend backend = new JdbcLockBackendProvider().open(BackendContext.of(on.settings(table)));
        cleanup.add(backend);
        return backend;
    }

    private static long attempt() {
        return ThreadLocalRandom.current().nextLong();
    }

    /** Takes and releases the resource once, so that its row exists, free, with a token. */
    private static long usedAndFreed(LockBackend backend, String resource) {
        Acquisition used = backend.acquire(resource, "earlier", LEASE, attempt());
        assertThat(used.isAcquired()).isTrue();
        assertThat(backend.release(resource, "earlier", used.fencingToken())).isTrue();
        return used.fencingToken();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_anAcquisitionThatArrivesAfterItsUndoIsRefusedAndTheResourceStaysFree(TestDatabase on) {
        LockBackend backend = open(on);
        long before = usedAndFreed(backend, "kept row");
        // "kept row" has a free row when the undo comes; "no row" has never been locked.
        for (String resource : List.of("kept row", "no row")) {
            long lost = attempt();
            backend.undo(resource, "c", lost);

            Acquisition late = backend.acquire(resource, "c", LEASE, lost);

            assertThat(late.isAcquired())
                    .as("%s: the acquisition that arrived after its undo", resource)
                    .isFalse();
            assertThat(backend.inspect(resource)).as("%s: still free", resource).isEmpty();
            before = takenByAnother(backend, resource, before);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_theSameClientAcquiresByAnotherAttemptAfterTheUndo(TestDatabase on) {
        LockBackend backend = open(on);
        long before = usedAndFreed(backend, "kept row");
        for (String resource : List.of("kept row", "no row")) {
            backend.undo(resource, "c", attempt());

            Acquisition next = backend.acquire(resource, "c", LEASE, attempt());

            assertThat(next.isAcquired()).as("%s: a new attempt", resource).isTrue();
            assertThat(next.fencingToken()).isGreaterThan(before);
            assertThat(holder(backend, resource)).contains(next.fencingToken());
            assertThat(backend.release(resource, "c", next.fencingToken())).isTrue();
            before = next.fencingToken();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void F1_aTombstoneNeitherLowersNorTakesATokenNorTouchesALiveLease(TestDatabase on) {
        LockBackend backend = open(on);
        long first = usedAndFreed(backend, "r");
        backend.undo("r", "c", attempt());
        backend.undo("r", "c", attempt());
        long second = takenByAnother(backend, "r", first);

        // A live lease of another client, or of the same client by another attempt, stays.
        backend.undo("r", "c", attempt());
        backend.undo("r", "d", attempt());
        assertThat(holder(backend, "r")).contains(second);
        assertThat(backend.renew("r", "d", second)).isTrue();
        assertThat(backend.release("r", "d", second)).isTrue();

        backend.undo("fresh", "c", attempt());
        Acquisition third = backend.acquire("r", "e", LEASE, attempt());
        Acquisition fresh = backend.acquire("fresh", "e", LEASE, attempt());
        assertThat(third.fencingToken()).isGreaterThan(second);
        assertThat(fresh.fencingToken())
                .as("the tombstone of a new resource drew no token")
                .isGreaterThan(third.fencingToken());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_anUndoAfterTheAcquisitionStillEndsIt(TestDatabase on) {
        LockBackend backend = open(on);
        long lost = attempt();
        Acquisition acquired = backend.acquire("r", "c", LEASE, lost);
        assertThat(acquired.isAcquired()).isTrue();

        backend.undo("r", "c", lost);
        backend.undo("r", "c", lost);

        assertThat(backend.inspect("r")).isEmpty();
        assertThat(backend.release("r", "c", LockBackend.ANY_ACQUISITION)).isFalse();
        takenByAnother(backend, "r", acquired.fencingToken());
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void X5_anUndoAndItsAcquisitionRacingInEitherOrderLeaveTheResourceFree(TestDatabase on) throws Exception {
        LockBackend backend = open(on);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        cleanup.add(threads::shutdownNow);
        for (int i = 0; i < 40; i++) {
            // New resources: both statements may find no row and race to insert it.
            String resource = "race " + i;
            long lost = attempt();
            CyclicBarrier start = new CyclicBarrier(2);
            Future<Acquisition> acquisition = threads.submit(() -> {
                start.await();
                return backend.acquire(resource, "c", LEASE, lost);
            });
            Future<?> undo = threads.submit(() -> {
                start.await();
                backend.undo(resource, "c", lost);
                return null;
            });
            acquisition.get(30, TimeUnit.SECONDS);
            undo.get(30, TimeUnit.SECONDS);
            assertThat(backend.inspect(resource)).as(resource).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void E4_theReaperKeepsATombstonePastTheRetention(TestDatabase on) throws SQLException {
        LockBackend backend = open(on);
        usedAndFreed(backend, "plain");
        long lost = attempt();
        backend.undo("tombstone", "c", lost);

        Dialect dialect = Dialect.of(on.kind(), TableName.parse(table));
        try (Connection connection = on.connect()) {
            // A retention of zero: every free row is old enough, except a tombstone younger than TCP's give-up.
            dialect.reap(connection, 0, Budgets.seconds(connection, 10));
        }

        assertThat(on.rows(table))
                .as("the plain free row went, the tombstone stayed")
                .isEqualTo(1);
        assertThat(backend.acquire("tombstone", "c", LEASE, lost).isAcquired()).isFalse();
        assertThat(backend.inspect("tombstone")).isEmpty();
    }

    /**
     * Asserts that another client ("d") takes the resource at once, with a token above
     * {@code before}; returns that token.
     */
    private static long takenByAnother(LockBackend backend, String resource, long before) {
        Acquisition other = backend.acquire(resource, "d", LEASE, attempt());
        assertThat(other.isAcquired())
                .as("%s: another client at once", resource)
                .isTrue();
        assertThat(other.fencingToken()).isGreaterThan(before);
        return other.fencingToken();
    }

    private static Optional<Long> holder(LockBackend backend, String resource) {
        return backend.inspect(resource).map(LockInfo::fencingToken);
    }
}
