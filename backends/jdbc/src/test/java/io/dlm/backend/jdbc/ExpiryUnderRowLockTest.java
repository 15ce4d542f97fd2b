package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.TckTimings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A statement that waits for a row lock decides on expiry by the clock after the wait (E2, U2,
 * H2): a transaction of the test's own holds the lock row while the lease runs out on the engine,
 * and the unlock, heartbeat or acquisition queued behind it must see the lease as over when it gets
 * the row. (PostgreSQL's acquisition does not queue while the lease lives: it is refused at once,
 * and the one that comes after the expiry queues and takes the lock.) Judging by the time the statement started (MariaDB's {@code UTC_TIMESTAMP()}, H2's
 * {@code CURRENT_TIMESTAMP}, a PostgreSQL clock read before the wait) would let the unlock report a
 * release after the expiry, the heartbeat revive the lease, or the acquisition be refused by a lease
 * that had ended. And the other way round: when the transaction that held the row had renewed the
 * lease, the call must find it live, by the row as that transaction left it.
 */
class ExpiryUnderRowLockTest {

    private static final Duration LEASE = TckTimings.scaled(Duration.ofSeconds(2));

    /** Far beyond the row lock's hold, so that the blocked call is never cut by the timeout (X1). */
    private static final Duration OPERATION_TIMEOUT = TckTimings.scaled(Duration.ofSeconds(40));

    private static final Duration PATIENCE = TckTimings.scaled(Duration.ofSeconds(20));

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final ExecutorService calls = Executors.newCachedThreadPool();
    private final String resource = "row-lock-" + UUID.randomUUID();

    @AfterEach
    void cleanUp() throws Exception {
        calls.shutdownNow();
        calls.awaitTermination(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void U2_anUnlockThatGetsTheRowAfterTheExpiryReturnsFalse(TestDatabase database) throws Exception {
        Fixture fixture = holding(database);
        fixture.assertRefusedPastExpiry(
                () -> fixture.holder.unlock(resource, "holder"), "unlock of a lease that had ended (U2)");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void H2_aHeartbeatThatGetsTheRowAfterTheExpiryReturnsFalseAndRevivesNothing(TestDatabase database)
            throws Exception {
        Fixture fixture = holding(database);
        fixture.assertRefusedPastExpiry(
                () -> fixture.holder.heartbeat(resource, "holder"), "heartbeat of a lease that had ended (H2)");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void E2_anAcquisitionThatGetsTheRowAfterTheExpiryTakesTheLock(TestDatabase database) throws Exception {
        Fixture fixture = holding(database);

        Optional<Lease> taken = database == TestDatabase.POSTGRESQL
                ? fixture.refusedThenBlockedPastExpiry(
                        () -> fixture.other.tryAcquire(resource, "other", Duration.ZERO, PATIENCE))
                : fixture.blockedPastExpiry(() -> fixture.other.tryAcquire(resource, "other", Duration.ZERO, PATIENCE));

        assertThat(taken).as("an acquisition over a lease that had ended (E2)").isPresent();
        assertThat(taken.orElseThrow().fencingToken()).isGreaterThan(fixture.lease.fencingToken());
        assertThat(fixture.holder.heartbeat(resource, "holder")).isFalse();
        assertThat(fixture.holder.inspect(resource)).map(LockInfo::clientId).contains("other");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void U1_anUnlockThatGetsTheRowAfterARenewalCommittedThereReleasesTheRenewedLease(TestDatabase database)
            throws Exception {
        Fixture fixture = holding(database);

        boolean released = fixture.blockedByRenewalPastExpiry(() -> fixture.holder.unlock(resource, "holder"));

        assertThat(released)
                .as("unlock of a lease renewed while the unlock waited (U1)")
                .isTrue();
        fixture.assertFreeForAnotherClient();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void H1_aHeartbeatThatGetsTheRowAfterARenewalCommittedThereRenewsTheLease(TestDatabase database) throws Exception {
        Fixture fixture = holding(database);

        boolean renewed = fixture.blockedByRenewalPastExpiry(() -> fixture.holder.heartbeat(resource, "holder"));

        assertThat(renewed)
                .as("heartbeat of a lease renewed while the heartbeat waited (H1)")
                .isTrue();
        assertThat(fixture.holder.inspect(resource)).map(LockInfo::fencingToken).contains(fixture.lease.fencingToken());
    }

    /**
     * MariaDB's clock of the time of evaluation, {@code SYSDATE()}, reads the session's time zone;
     * the backend must read it in UTC, as the table keeps its times, whatever the connection's zone.
     */
    @Test
    void mariaDbJudgesExpiryInUtcWhateverTheSessionTimeZone() throws Exception {
        Fixture fixture = holding(TestDatabase.MARIADB, "?sessionVariables=time_zone='-05:00'");
        assertThat(fixture.holder.inspect(resource))
                .as("a lease of %s, five hours away from UTC", LEASE)
                .map(LockInfo::remaining)
                .hasValueSatisfying(left -> assertThat(left).isPositive().isLessThanOrEqualTo(LEASE));
        assertThat(fixture.holder.heartbeat(resource, "holder")).isTrue();
        assertThat(fixture.holder.inspect(resource))
                .as("renewed for %s", LEASE)
                .map(LockInfo::remaining)
                .hasValueSatisfying(left -> assertThat(left).isPositive().isLessThanOrEqualTo(LEASE));

        fixture.assertRefusedPastExpiry(
                () -> fixture.holder.unlock(resource, "holder"), "unlock of a lease that had ended (U2)");
    }

    /** Two managers on a fresh table of {@code database}, the first holding {@code resource}. */
    private Fixture holding(TestDatabase database) {
        return holding(database, "");
    }

    private Fixture holding(TestDatabase database, String urlOptions) {
        database.assumeAvailable();
        String table = database.createTable("rowlock");
        cleanup.add(() -> database.dropTable(table));
        Map<String, String> settings = database.settings(table);
        settings.put("dlm.operation.timeout", OPERATION_TIMEOUT.toMillis() + "ms");
        settings.put("dlm.jdbc.url", database.url() + urlOptions);
        if (database == TestDatabase.H2) {
            // H2 gives up on a row lock after 2 s by default, and the backend would run the
            // statement again, afresh: wait as long as the other engines do.
            settings.put("dlm.jdbc.url", database.url() + urlOptions + ";LOCK_TIMEOUT=" + OPERATION_TIMEOUT.toMillis());
        }
        LockManager holder = LockManagers.open(JdbcLockBackendProvider.NAME, settings);
        cleanup.add(holder);
        LockManager other = LockManagers.open(JdbcLockBackendProvider.NAME, settings);
        cleanup.add(other);
        return new Fixture(database, table, holder, other);
    }

    /**
     * Two managers on one table, the holder's lease of {@code resource}, and the means to hold the
     * lock row behind their backs.
     */
    private final class Fixture {
        final TestDatabase database;
        final String table;
        final LockManager holder;
        final LockManager other;
        final Lease lease;

        /** Takes the lease on {@code holder}. */
        Fixture(TestDatabase database, String table, LockManager holder, LockManager other) {
            this.database = database;
            this.table = table;
            this.holder = holder;
            this.other = other;
            this.lease =
                    holder.tryAcquire(resource, "holder", Duration.ZERO, LEASE).orElseThrow();
        }

        /**
         * Asserts that a call of the holder's that gets the row only after the lease ran out
         * ({@link #blockedPastExpiry}) answers false and revives nothing.
         *
         * @param call the holder's unlock or heartbeat
         * @param description the call and its rule, for the failure message
         */
        void assertRefusedPastExpiry(Callable<Boolean> call, String description) throws Exception {
            boolean answer = blockedPastExpiry(call);
            assertThat(answer).as(description).isFalse();
            assertFreeForAnotherClient();
        }

        /**
         * Starts {@code call} while the lease is live and the row is locked, checks that it waits
         * for the row lock, lets the lease run out on the engine, and only then lets the row go,
         * unchanged.
         *
         * @return what the call returned
         */
        <T> T blockedPastExpiry(Callable<T> call) throws Exception {
            try (RowLock row = RowLock.take(database, table, resource)) {
                Future<T> result = waitingPastExpiry(row, call);
                row.release();
                return result.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        /**
         * For PostgreSQL's acquisition, a plain update that judges the lease when it reads the row
         * and does not wait for the lock of a row whose lease lives (see {@link PostgresStatements}):
         * while the lease is live and the row locked, the call is refused at once; issued again
         * once the lease has run out, it waits for the row, and gets it when the row goes,
         * unchanged.
         *
         * @return what the second call returned
         */
        Optional<Lease> refusedThenBlockedPastExpiry(Callable<Optional<Lease>> call) throws Exception {
            try (RowLock row = RowLock.take(database, table, resource)) {
                Future<Optional<Lease>> refused = calls.submit(call);
                assertThat(refused.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                        .as("refused at once by the live lease, without waiting for the row lock")
                        .isEmpty();
                assertThat(row.waiters()).isZero();
                await().atMost(LEASE.plus(PATIENCE))
                        .until(() -> holder.inspect(resource).isEmpty());
                Future<Optional<Lease>> result = calls.submit(call);
                await().atMost(PATIENCE).until(() -> row.waiters() > 0);
                assertThat(result).as("waits for the row lock").isNotDone();
                row.release();
                return result.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        /**
         * As {@link #blockedPastExpiry}, but the transaction holding the row has pushed the expiry
         * back, as the holder's keep-alive would, and commits that once the lease's first expiry
         * has passed: the call must see the lease live, not the version from before the wait.
         *
         * @return what the call returned
         */
        <T> T blockedByRenewalPastExpiry(Callable<T> call) throws Exception {
            try (RowLock row = RowLock.take(database, table, resource)) {
                row.extendLease(OPERATION_TIMEOUT);
                Future<T> result = waitingPastExpiry(row, call);
                row.commit();
                return result.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            }
        }

        /** Starts the call and returns once it has waited for the row past the committed expiry. */
        private <T> Future<T> waitingPastExpiry(RowLock row, Callable<T> call) throws Exception {
            Future<T> result = calls.submit(call);
            await().atMost(PATIENCE).until(() -> row.waiters() > 0);
            assertThat(holder.inspect(resource))
                    .as("the call waits for the row lock while the lease is still live; if not, the machine"
                            + " is too slow for this lease: raise " + TckTimings.MULTIPLIER_PROPERTY)
                    .isPresent();
            // inspect reads the committed row without waiting for its lock, by the engine's clock.
            await().atMost(LEASE.plus(PATIENCE))
                    .until(() -> holder.inspect(resource).isEmpty());
            assertThat(result)
                    .as("still waiting for the row lock after the expiry")
                    .isNotDone();
            assertThat(row.waiters()).isPositive();
            return result;
        }

        /**
         * The holder's lease is over and stays over: nobody sees it, and another client takes the
         * lock at once.
         */
        void assertFreeForAnotherClient() {
            assertThat(holder.inspect(resource)).as("not revived").isEmpty();
            Optional<Lease> next = other.tryAcquire(resource, "other", Duration.ZERO, LEASE);
            assertThat(next).as("free for another client at once").isPresent();
            assertThat(next.orElseThrow().fencingToken()).isGreaterThan(lease.fencingToken());
        }
    }
}
