package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Renewal;
import io.dlm.tck.TckTimings;
import io.dlm.tck.fault.FaultProxy;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A renewal batch that the network cuts off in the middle (its first statements reach the
 * database, the rest never do, and no reset comes) must not leave a transaction open on the server
 * holding the rows it renewed: every other client's operation on those resources would wait for
 * locks nobody will ever release (X1, N3). The database must roll it back within about an operation
 * timeout. MariaDB only: PostgreSQL runs a driver's batch in one implicit transaction that ends
 * with the batch's last message, and waits for that message with no timeout a client can set for
 * its own transaction alone (see the JDBC backend's documentation, "Faults").
 */
class RenewalBatchCutTest {

    /** MariaDB only: see above. */
    private static final TestDatabase DATABASE = TestDatabase.MARIADB;

    private static final AtomicLong ATTEMPTS = new AtomicLong();

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    @Test
    void aBatchCutOffMidwayLeavesNoRowLockedPastAnOperationTimeout() throws Exception {
        String table = table("cut");
        URI engine = URI.create(DATABASE.url().substring("jdbc:".length()));
        FaultProxy proxy = FaultProxy.start(engine.getHost(), engine.getPort());
        toClose.add(proxy);
        Duration operationTimeout = TckTimings.scaledMillis(2_000);
        BatchRenewingLockBackend cutOff = (BatchRenewingLockBackend) open(
                table,
                "jdbc:" + engine.getScheme() + "://" + proxy.host() + ":" + proxy.port() + engine.getRawPath(),
                operationTimeout);
        // Beside it, a client whose operations may wait far longer than the cut-off one's.
        LockBackend other = open(table, DATABASE.url(), operationTimeout.multipliedBy(5));
        List<Renewal> renewals = acquired(cutOff, "cut-", 40);

        // About a tenth of the batch gets through, the first statements whole and one in part.
        proxy.cutAfter(FaultProxy.Direction.TO_ENGINE, 3_000);
        assertThatThrownBy(() -> cutOff.renewAll(renewals))
                .isInstanceOfSatisfying(
                        LockException.class, e -> assertThat(e.error()).isEqualTo(LockError.INTERNAL_ERROR));

        long start = System.nanoTime();
        assertRenewedBy(other, renewals);
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("how long the rows of the cut batch stayed locked")
                .isLessThan(operationTimeout.multipliedBy(3));
    }

    /**
     * A row that another transaction keeps locked stops the batch at its statement; the rows the
     * batch renewed before it stay locked until that statement gives up, which must come within
     * the operation timeout (not InnoDB's lock wait of 50 s), so that other clients' operations on
     * those resources go on.
     */
    @Test
    void aForeignRowLockHoldsTheBatchsOtherRowsNoLongerThanAnOperationTimeout() throws Exception {
        String table = table("foreign");
        Duration operationTimeout = TckTimings.scaledMillis(2_000);
        BatchRenewingLockBackend renewing = (BatchRenewingLockBackend) open(table, DATABASE.url(), operationTimeout);
        LockBackend other = open(table, DATABASE.url(), operationTimeout.multipliedBy(5));
        List<Renewal> renewals = acquired(renewing, "foreign-", 20);
        // The resource whose key sorts last: every other row of the batch comes before it.
        Renewal last = renewals.stream()
                .max((a, b) -> Arrays.compareUnsigned(
                        LockKey.of(a.resourceId()).hash(),
                        LockKey.of(b.resourceId()).hash()))
                .orElseThrow();
        try (Connection foreign = DATABASE.connect()) {
            foreign.setAutoCommit(false);
            try (PreparedStatement lock =
                    foreign.prepareStatement("SELECT lock_key FROM " + table + " WHERE lock_key = ? FOR UPDATE")) {
                lock.setBytes(1, LockKey.of(last.resourceId()).hash());
                lock.executeQuery().close();
            }

            long start = System.nanoTime();
            assertThatThrownBy(() -> renewing.renewAll(renewals)).isInstanceOf(LockException.class);
            assertRenewedBy(
                    other, renewals.stream().filter(renewal -> renewal != last).toList());
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("how long the batch's other rows stayed locked")
                    .isLessThan(operationTimeout.multipliedBy(3));
            foreign.rollback();
        }
    }

    /**
     * The batch bounds its session's timeouts for its own transaction and puts them back, after a
     * failure too: a connection of an application's pool goes back as it came.
     */
    @Test
    void aBatchLeavesTheSessionsTimeoutsAsItFoundThem() throws Exception {
        String table = table("session");
        Dialect dialect = Dialect.of(Dialect.Kind.MARIADB, TableName.parse(table));
        LockKey[] keys = {LockKey.of("a"), LockKey.of("b")};
        byte[][] clients = {LockKey.utf8("c"), LockKey.utf8("c")};
        long[] tokens = {1, 2};
        try (Connection connection = DATABASE.connect();
                Statement statement = connection.createStatement()) {
            statement.execute("SET @@session.idle_transaction_timeout = 123, @@session.net_read_timeout = 45");

            assertThat(dialect.renewAll(connection, keys, clients, tokens, Budgets.seconds(connection, 3)))
                    .containsExactly(0, 0);
            assertThat(timeouts(statement)).containsExactly(123L, 45L);
            try (ResultSet saved = statement.executeQuery("SELECT @dlm_idle IS NULL AND @dlm_net_read IS NULL")) {
                saved.next();
                assertThat(saved.getBoolean(1))
                        .as("the batch's own variables forgotten")
                        .isTrue();
            }

            statement.execute("DROP TABLE " + table);
            assertThatThrownBy(
                            () -> dialect.renewAll(connection, keys, clients, tokens, Budgets.seconds(connection, 3)))
                    .isInstanceOf(SQLException.class);
            assertThat(timeouts(statement)).as("after a failed batch").containsExactly(123L, 45L);
            try (ResultSet open = statement.executeQuery("SELECT @@in_transaction")) {
                open.next();
                assertThat(open.getInt(1)).as("a transaction left open").isZero();
            }
        }
    }

    /** A lock table of the test's own on MariaDB, dropped after the test. */
    private String table(String purpose) {
        DATABASE.assumeAvailable();
        String table = DATABASE.createTable(purpose);
        toClose.add(() -> DATABASE.dropTable(table));
        return table;
    }

    /** Acquires {@code count} resources named {@code prefix} and a number for 60 s each; their renewals. */
    private static List<Renewal> acquired(LockBackend backend, String prefix, int count) {
        long lease = Duration.ofSeconds(60).toNanos();
        List<Renewal> renewals = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String resource = prefix + i;
            Acquisition acquisition = backend.acquire(resource, "holder", lease, ATTEMPTS.incrementAndGet());
            assertThat(acquisition.isAcquired()).as(resource).isTrue();
            renewals.add(new Renewal(resource, "holder", acquisition.fencingToken()));
        }
        return renewals;
    }

    /** Asserts that another client renews each of these leases, which it can only once no row lock stops it. */
    private static void assertRenewedBy(LockBackend other, List<Renewal> renewals) {
        for (Renewal renewal : renewals) {
            assertThat(other.renew(renewal.resourceId(), renewal.clientId(), renewal.fencingToken()))
                    .as("%s renewed by another client", renewal.resourceId())
                    .isTrue();
        }
    }

    private static List<Long> timeouts(Statement statement) throws SQLException {
        try (ResultSet result =
                statement.executeQuery("SELECT @@session.idle_transaction_timeout, @@session.net_read_timeout")) {
            result.next();
            return List.of(result.getLong(1), result.getLong(2));
        }
    }

    private LockBackend open(String table, String url, Duration operationTimeout) {
        Map<String, String> settings = DATABASE.settings(table);
        settings.put("dlm.jdbc.url", url);
        settings.put("dlm.operation.timeout", operationTimeout.toMillis() + "ms");
        LockBackend backend = new JdbcLockBackendProvider().open(BackendContext.of(settings));
        toClose.add(backend::close);
        return backend;
    }
}
