package io.dlm.backend.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.WatchingLockBackend;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.naming.Context;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the TCK cannot see from outside: the table, its DDL, the settings of this backend, and the
 * capability each database gets. Runs on every database; each test uses tables of its own.
 */
class JdbcBackendTest {

    private final List<Runnable> cleanup = new ArrayList<>();

    @AfterEach
    void cleanUp() {
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
    }

    private String table(TestDatabase database) {
        database.assumeAvailable();
        String table = database.createTable("backend");
        cleanup.add(() -> database.dropTable(table));
        return table;
    }

    private LockManager open(Map<String, String> settings) {
        LockManager manager = LockManagers.open("jdbc", settings);
        cleanup.add(manager::close);
        return manager;
    }

    /** Asserts that a manager on these settings fails to open with INTERNAL_ERROR, for more checks. */
    private AbstractThrowableAssert<?, ? extends Throwable> assertOpenFails(Map<String, String> settings) {
        return assertThatThrownBy(() -> open(settings))
                .isInstanceOf(LockException.class)
                .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR));
    }

    /** The DDL that takes away the reaper's index, as a table of an earlier version lacks it. */
    private static String dropReapIndex(TestDatabase database, String table) {
        String index = TableName.parse(table).reapIndex();
        return database == TestDatabase.MARIADB ? "DROP INDEX " + index + " ON " + table : "DROP INDEX " + index;
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void V1_sqlInTheIdsIsAnOrdinaryId(TestDatabase database) {
        String table = table(database);
        LockManager manager = open(database.settings(table));
        String resource = "'; DROP TABLE " + table + "; --";
        String client = "x' OR '1'='1";
        assertThat(manager.lock(resource, client, 0)).isTrue();
        assertThat(manager.inspect(resource)).map(LockInfo::clientId).contains(client);
        assertThat(manager.unlock(resource, "x")).isFalse();
        assertThat(manager.unlock(resource, client)).isTrue();
        assertThat(database.rows(table))
                .as("the table is still there, with the one row")
                .isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void providerReturnsTheCapabilitiesOfTheDatabase(TestDatabase database) {
        String table = table(database);
        LockBackend backend = new JdbcLockBackendProvider().open(BackendContext.of(database.settings(table)));
        try {
            assertThat(((JdbcLockBackend) backend).dialect()).isEqualTo(database.id());
            // Only PostgreSQL can notify; the others are polled by the runtime (L4).
            assertThat(backend instanceof WatchingLockBackend).isEqualTo(database == TestDatabase.POSTGRESQL);
            assertThat(backend.leaseGranularity()).isEqualTo(Duration.ofNanos(1_000));
        } finally {
            backend.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void createTableMakesTheTableAndSequenceOnlyWhenAsked(TestDatabase database) {
        database.assumeAvailable();
        String table = TestDatabase.uniqueTable("created");
        cleanup.add(() -> database.dropTable(table));
        Map<String, String> settings = database.settings(table);
        assertOpenFails(settings)
                .hasMessageContaining(table)
                .hasMessageContaining("schema-" + database.id() + ".sql")
                .hasMessageContaining("dlm.jdbc.create-table");
        settings.put("dlm.jdbc.create-table", "true");
        LockManager first = open(settings);
        LockManager second = open(settings); // the table exists now: nothing to do, no failure
        assertThat(first.lock("r", "a", 0)).isTrue();
        assertThat(second.lock("r", "b", 0)).isFalse();
        assertThat(database.rows(table)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aTableMadeBeforeAttemptIdsFailsOpenSayingHowToUpgradeIt(TestDatabase database) throws Exception {
        String table = table(database);
        database.execute("ALTER TABLE " + table + " DROP COLUMN attempt_id");
        String upgrade = "ALTER TABLE " + table + " ADD COLUMN attempt_id BIGINT";
        Map<String, String> settings = database.settings(table);
        settings.put("dlm.jdbc.create-table", "true"); // creates nothing: the table exists
        assertOpenFails(settings).hasMessageContaining(upgrade);
        database.execute(upgrade);
        assertThat(open(settings).lock("r", "c", 0)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aTableMadeBeforeReapFromIsUpgradedByCreateTableAndNamesTheStatementsOtherwise(TestDatabase database)
            throws Exception {
        String table = table(database);
        TableName name = TableName.parse(table);
        Dialect dialect = Dialect.of(database.kind(), name);
        // The table as an earlier version made it: no reap_from, an index on expires_at, and a row
        // that version left behind, free for long.
        database.execute(
                dropReapIndex(database, table),
                "ALTER TABLE " + table + " DROP COLUMN reap_from",
                "CREATE INDEX " + name.expiryIndex() + " ON " + table + " (expires_at)");
        try (Connection connection = database.connect();
                PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table
                        + " (lock_key, resource_id, client_id, fencing_token, lease_micros, expires_at)"
                        + " VALUES (?, ?, ?, 1, 1000, ?)")) {
            LockKey old = LockKey.of("old");
            insert.setBytes(1, old.hash());
            insert.setBytes(2, old.id());
            insert.setBytes(3, LockKey.utf8("c"));
            OffsetDateTime longAgo = OffsetDateTime.of(2020, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
            insert.setObject(4, database == TestDatabase.MARIADB ? longAgo.toLocalDateTime() : longAgo);
            insert.executeUpdate();
        }
        Map<String, String> settings = database.settings(table);
        List<String> upgrade = dialect.upgrade();
        assertThat(upgrade).hasSize(2);
        assertOpenFails(settings).hasMessageContaining(upgrade.get(0)).hasMessageContaining(upgrade.get(1));

        settings.put("dlm.jdbc.create-table", "true");
        LockManager manager = open(settings);
        assertThat(manager.lock("new", "c", 0)).isTrue();
        assertThat(manager.unlock("new", "c")).isTrue();
        try (Connection connection = database.connect()) {
            // Dropping the old index is the operator's, once no older version uses the table.
            assertThat(dialect.hasLegacyIndex(connection, Budgets.seconds(connection, 10)))
                    .isTrue();
            // The row from before has the oldest mark, and goes with the first run of the reaper.
            assertThat(dialect.reap(connection, 0, Budgets.seconds(connection, 10))
                            .deleted())
                    .isEqualTo(2);
        }
        assertThat(database.rows(table)).isZero();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void E4_aTableWithoutTheReapersIndexFailsOpenNamingItAndCreateTableAddsIt(TestDatabase database) throws Exception {
        String table = table(database);
        TableName name = TableName.parse(table);
        Dialect dialect = Dialect.of(database.kind(), name);
        // As after an upgrade whose CREATE INDEX failed or was never run: the column is there.
        database.execute(dropReapIndex(database, table));
        Map<String, String> settings = database.settings(table);
        assertOpenFails(settings)
                .hasMessageContaining(name.reapIndex())
                .hasMessageContaining(dialect.upgrade().get(1));
        settings.put("dlm.jdbc.create-table", "true");
        assertThat(open(settings).lock("r", "c", 0)).isTrue();
        try (Connection connection = database.connect()) {
            assertThat(dialect.hasReapIndex(connection, Budgets.seconds(connection, 10)))
                    .isTrue();
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabase.class, names = "POSTGRESQL")
    void createTableRunsNoDdlOnAnUpToDateTableSoAReaderDoesNotHoldOpenUp(TestDatabase database) throws Exception {
        String table = table(database);
        Map<String, String> settings = database.settings(table);
        settings.put("dlm.jdbc.create-table", "true");
        settings.put("dlm.operation.timeout", "10s");
        // A long reader (a report, a dump): an ALTER TABLE, even one with nothing to do, would wait
        // for it with the table's exclusive lock, and every lock call of every manager behind it.
        try (Connection reader = database.connect()) {
            reader.setAutoCommit(false);
            try (Statement statement = reader.createStatement()) {
                statement.executeQuery("SELECT count(*) FROM " + table).close();
            }
            long start = System.nanoTime();
            LockManager manager = open(settings);
            assertThat(Duration.ofNanos(System.nanoTime() - start))
                    .as("open beside an open reader, with an operation timeout of 10 s")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(manager.lock("r", "c", 0)).isTrue();
            reader.rollback();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void E4_theReaperMeetsARowHeldPastTheRetentionOncePerRetentionNotOnEveryRun(TestDatabase database)
            throws Exception {
        String table = table(database);
        LockManager manager = open(database.settings(table));
        assertThat(manager.tryAcquire("held", "c", Duration.ZERO, Duration.ofMinutes(5)))
                .isPresent();
        assertThat(manager.lock("released", "c", 0)).isTrue();
        assertThat(manager.unlock("released", "c")).isTrue();
        Thread.sleep(5); // both marks are now in the past, even to a clock of whole milliseconds
        Dialect dialect = Dialect.of(database.kind(), TableName.parse(table));
        try (Connection connection = database.connect()) {
            // With a retention of zero both rows are due: the free one goes, the held one's mark
            // moves to the end of its lease ...
            assertThat(dialect.reap(connection, 0, Budgets.seconds(connection, 10)))
                    .isEqualTo(new Dialect.Reaped(1, 1));
            // ... so the next run does not look at it again.
            assertThat(dialect.reap(connection, 0, Budgets.seconds(connection, 10)))
                    .isEqualTo(new Dialect.Reaped(0, 0));
        }
        assertThat(manager.inspect("held")).isPresent();
        assertThat(database.rows(table)).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void reaperDeletesRowsFreeForLongerThanTheRetention(TestDatabase database) {
        String table = table(database);
        Map<String, String> settings = database.settings(table);
        // The smallest operation timeout of the backend's own pool, and the smallest retention it allows.
        settings.put("dlm.operation.timeout", "250ms");
        settings.put("dlm.jdbc.retention", "2500ms");
        settings.put("dlm.jdbc.reap-interval", "200ms");
        LockManager manager = open(settings);
        assertThat(manager.lock("released", "c", 0)).isTrue();
        assertThat(manager.unlock("released", "c")).isTrue();
        assertThat(manager.tryAcquire("expired", "c", Duration.ZERO, Duration.ofMillis(100)))
                .isPresent();
        assertThat(manager.tryAcquire("held", "c", Duration.ZERO, Duration.ofMinutes(5)))
                .isPresent();
        assertThat(database.rows(table)).isEqualTo(3);
        // Free rows stay for the retention (F1 relies on it), then go; the live lease stays (E4).
        await().atMost(Duration.ofSeconds(15)).until(() -> database.rows(table) == 1);
        assertThat(manager.inspect("held")).isPresent();
        assertThat(manager.lock("released", "d", 0)).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void tokensOfAResourceKeepGrowingAfterItsRowWasReaped(TestDatabase database) throws Exception {
        String table = table(database);
        LockManager manager = open(database.settings(table));
        assertThat(manager.lock("r", "c", 0)).isTrue();
        long before = manager.inspect("r").orElseThrow().fencingToken();
        assertThat(manager.unlock("r", "c")).isTrue();
        database.execute("DELETE FROM " + table);
        assertThat(manager.lock("r", "c", 0)).isTrue();
        assertThat(manager.inspect("r").orElseThrow().fencingToken()).isGreaterThan(before);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void idsAreStoredAsTheirUtf8Bytes(TestDatabase database) throws Exception {
        String table = table(database);
        LockManager manager = open(database.settings(table));
        String resource = "Straße \0 锁🔒";
        assertThat(manager.lock(resource, "ö", 0)).isTrue();
        try (Connection connection = database.connect();
                Statement statement = connection.createStatement();
                var row = statement.executeQuery("SELECT resource_id, client_id FROM " + table)) {
            assertThat(row.next()).isTrue();
            assertThat(row.getBytes(1)).isEqualTo(resource.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat(row.getBytes(2)).isEqualTo("ö".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void invalidSettingsFailOpenNamingTheKey(TestDatabase database) {
        database.assumeAvailable();
        Map<String, String> keyAndValue = new HashMap<>();
        keyAndValue.put("dlm.jdbc.table", "locks; DROP TABLE x");
        keyAndValue.put("dlm.jdbc.create-table", "yes");
        keyAndValue.put("dlm.jdbc.dialect", "oracle");
        keyAndValue.put("dlm.jdbc.pool-size", "0");
        keyAndValue.put("dlm.jdbc.retention", "10ms");
        keyAndValue.put("dlm.jdbc.reap-interval", "-1s");
        keyAndValue.forEach((key, value) -> {
            Map<String, String> settings = database.settings("dlm_unused");
            settings.put(key, value);
            assertThatThrownBy(() -> open(settings))
                    .as("%s=%s", key, value)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key);
        });
        Map<String, String> noSource = database.settings("dlm_unused");
        noSource.remove("dlm.jdbc.url");
        assertThatThrownBy(() -> open(noSource))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.jdbc.url")
                .hasMessageContaining("dlm.jdbc.datasource");
        Map<String, String> both = database.settings("dlm_unused");
        both.put("dlm.jdbc.datasource", "java:comp/env/jdbc/locks");
        assertThatThrownBy(() -> open(both))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.jdbc.datasource");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void unreachableDatabaseFailsOpenWithinTheOperationTimeout(TestDatabase database) {
        Map<String, String> settings = database.settings("dlm_unused");
        settings.put(
                "dlm.jdbc.url",
                switch (database) {
                    case POSTGRESQL -> "jdbc:postgresql://127.0.0.1:1/test";
                    case MARIADB -> "jdbc:mariadb://127.0.0.1:1/test";
                    case H2 -> "jdbc:h2:tcp://127.0.0.1:1/mem:nothing";
                });
        settings.put("dlm.operation.timeout", "1s");
        long start = System.nanoTime();
        assertThatThrownBy(() -> open(settings))
                .isInstanceOf(LockException.class)
                .hasMessageContaining("127.0.0.1:1")
                .hasMessageNotContaining("password")
                .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void H3_everyOperationIsOneStatement(TestDatabase database) {
        String table = table(database);
        CountingDataSource counting = new CountingDataSource(database);
        LockManager manager = JdbcLockManagers.open(counting, Map.of("dlm.jdbc.table", table));
        cleanup.add(manager::close);
        LockManager other = open(database.settings(table));
        Map<String, Runnable> operations = new java.util.LinkedHashMap<>();
        operations.put("acquire", () -> assertThat(manager.lock("r", "c", 0)).isTrue());
        operations.put("renew", () -> assertThat(manager.heartbeat("r", "c")).isTrue());
        operations.put("inspect", () -> assertThat(manager.inspect("r")).isPresent());
        operations.put("release", () -> assertThat(manager.unlock("r", "c")).isTrue());
        operations.put(
                "refused renew", () -> assertThat(manager.heartbeat("r", "c")).isFalse());
        operations.put(
                "acquire again", () -> assertThat(manager.lock("r", "c", 0)).isTrue());
        operations.put(
                "release again", () -> assertThat(manager.unlock("r", "c")).isTrue());
        // H2 has no clock that moves within a statement: what may wait for the row lock takes it
        // first, in a statement of its own (see RowLockFirst); embedded, that is no network round trip.
        int lockStep = database == TestDatabase.H2 ? 1 : 0;
        // PostgreSQL's and MariaDB's acquisitions take over a kept row in one plain update; the first
        // acquisition of a resource, which has no row yet, inserts it in a second statement (see
        // PostgresStatements, MariaDbStatements).
        int insertStep = database == TestDatabase.H2 ? 0 : 1;
        operations.forEach((name, operation) -> {
            int before = counting.executions.get();
            operation.run();
            assertThat(counting.executions.get() - before)
                    .as("statements of %s", name)
                    .isEqualTo(name.equals("inspect") ? 1 : 1 + lockStep + (name.equals("acquire") ? insertStep : 0));
        });
        assertThat(other.lock("r", "other", 0)).isTrue();
        int before = counting.executions.get();
        assertThat(manager.lock("r", "c", 0)).isFalse();
        // H2's MERGE cannot report the holder; it takes a second look. Nor can the takeover of
        // PostgreSQL and MariaDB: the statement after it, which would have inserted a missing row,
        // reports it.
        assertThat(counting.executions.get() - before)
                .as("statements of a refused acquisition")
                .isEqualTo(database == TestDatabase.H2 ? 2 + lockStep : 1 + insertStep);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aDataSourceWithAutoCommitOffHasEveryOperationCommittedAtOnce(TestDatabase database) {
        String table = table(database);
        CountingDataSource counting = new CountingDataSource(database, false);
        LockManager manager = JdbcLockManagers.open(counting, Map.of("dlm.jdbc.table", table));
        cleanup.add(manager::close);
        LockManager other = open(database.settings(table));
        // On such a connection MariaDB acquires in its one-statement way: a takeover first would
        // hold the lock on the gap of a missing row until the commit (see MariaDbSteps). H2 takes
        // the row lock in a statement of its own; PostgreSQL inserts a missing row in a second.
        int first = database == TestDatabase.MARIADB ? 1 : 2;
        int kept = database == TestDatabase.H2 ? 2 : 1;

        int before = counting.executions.get();
        assertThat(manager.lock("r", "c", 0)).isTrue();
        assertThat(counting.executions.get() - before)
                .as("statements of the first acquisition")
                .isEqualTo(first);
        assertThat(other.inspect("r"))
                .as("seen by another manager")
                .map(LockInfo::clientId)
                .contains("c");
        assertThat(other.lock("r", "other", 0)).isFalse();
        assertThat(manager.unlock("r", "c")).isTrue();
        assertThat(other.inspect("r")).as("released, seen by another manager").isEmpty();

        before = counting.executions.get();
        assertThat(manager.lock("r", "c", 0)).isTrue();
        assertThat(counting.executions.get() - before)
                .as("statements of a kept row's acquisition")
                .isEqualTo(kept);
        assertThat(other.lock("r", "other", 0)).isFalse();
        assertThat(manager.unlock("r", "c")).isTrue();
        assertThat(other.lock("r", "other", 0)).isTrue();
    }

    @org.junit.jupiter.api.Test
    void X5_aMariaDbTakeoverWhoseTokenCannotBeReadIsNotRunAgainButUndone() {
        TestDatabase database = TestDatabase.MARIADB;
        String table = table(database);
        LockManager other = open(database.settings(table));
        assertThat(other.lock("r", "other", 0)).isTrue();
        assertThat(other.unlock("r", "other")).isTrue(); // the row is kept: the next acquisition takes it over
        CountingDataSource counting = new CountingDataSource(database);
        LockManager manager = JdbcLockManagers.open(counting, Map.of("dlm.jdbc.table", table));
        cleanup.add(manager::close);
        // A failure with a state that reads as transient (a deadlock's), after the takeover took the
        // row: run again, the operation would find this attempt's live lease and take it for the
        // attempt's tombstone, leaving the lease held by nobody.
        counting.generatedKeysFailure = new SQLException("no keys today", "40001", 1213);
        int before = counting.executions.get();

        assertThatThrownBy(() -> manager.lock("r", "c", 0))
                .isInstanceOf(LockException.class)
                .hasMessageContaining("token")
                .satisfies(e -> assertThat(((LockException) e).error()).isEqualTo(LockError.INTERNAL_ERROR));

        // The takeover, not run again, then the runtime's undo of its attempt.
        assertThat(counting.executions.get() - before).as("statements").isEqualTo(2);
        assertThat(other.inspect("r")).as("the undone acquisition").isEmpty();
        assertThat(other.lock("r", "other", 0)).isTrue();
    }

    @org.junit.jupiter.api.Test
    void aContainersDataSourceIsFoundByItsJndiName() throws Exception {
        TestDatabase database = TestDatabase.H2;
        String table = table(database);
        org.h2.jdbcx.JdbcDataSource dataSource = h2DataSource();
        String previous = System.setProperty(Context.INITIAL_CONTEXT_FACTORY, TestNaming.class.getName());
        cleanup.add(() -> {
            TestNaming.BINDINGS.clear();
            if (previous == null) {
                System.clearProperty(Context.INITIAL_CONTEXT_FACTORY);
            } else {
                System.setProperty(Context.INITIAL_CONTEXT_FACTORY, previous);
            }
        });
        TestNaming.BINDINGS.put("java:comp/env/jdbc/locks", dataSource);
        TestNaming.BINDINGS.put("java:comp/env/jdbc/notADataSource", "text");
        Map<String, String> settings = new HashMap<>();
        settings.put("dlm.jdbc.datasource", "java:comp/env/jdbc/locks");
        settings.put("dlm.jdbc.table", table);
        LockManager manager = LockManagers.open("jdbc", settings);
        assertThat(manager.lock("r", "c", 0)).isTrue();
        assertThat(manager.inspect("r")).map(LockInfo::clientId).contains("c");
        manager.close();
        // The container's DataSource is not DLM's to close.
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.isValid(1)).isTrue();
        }
        for (String name : java.util.List.of("java:comp/env/jdbc/notADataSource", "java:comp/env/jdbc/missing")) {
            settings.put("dlm.jdbc.datasource", name);
            assertThatThrownBy(() -> open(settings))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dlm.jdbc.datasource")
                    .hasMessageContaining(name);
        }
    }

    @org.junit.jupiter.api.Test
    void aDataSourceHandedInIsUsedAndLeftOpen() throws Exception {
        TestDatabase database = TestDatabase.H2;
        String table = table(database);
        org.h2.jdbcx.JdbcDataSource dataSource = h2DataSource();
        try (LockManager manager = JdbcLockManagers.open(dataSource, Map.of("dlm.jdbc.table", table))) {
            assertThat(manager.lock("r", "c", 0)).isTrue();
            assertThat(manager.inspect("r")).map(LockInfo::fencingToken).isPresent();
        }
        try (Connection connection = dataSource.getConnection()) {
            assertThat(connection.isValid(1)).isTrue();
        }
        assertThat(database.rows(table)).as("the lock was released on close").isEqualTo(1);
        try (LockManager manager = JdbcLockManagers.open(dataSource, Map.of("dlm.jdbc.table", table))) {
            assertThat(manager.lock("r", "d", 0))
                    .as("free after the first manager closed")
                    .isTrue();
        }
        assertThatThrownBy(() -> JdbcLockManagers.open(
                        dataSource, Map.of("dlm.jdbc.table", table, "dlm.jdbc.url", database.url())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.jdbc.url");
        assertThatThrownBy(() -> JdbcLockManagers.open(dataSource, Map.of("dlm.lease.factor", "0")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.lease.factor");
    }

    /** A DataSource of the application's own on the test's H2 database, as a container binds one. */
    private static org.h2.jdbcx.JdbcDataSource h2DataSource() {
        org.h2.jdbcx.JdbcDataSource dataSource = new org.h2.jdbcx.JdbcDataSource();
        dataSource.setURL(TestDatabase.H2.url());
        dataSource.setUser(TestDatabase.H2.user());
        return dataSource;
    }

    /** The checks docs/backends/jdbc.md shows for data kept in the lock table's database (M3). */
    static String fenceCheck(TestDatabase database, String table) {
        return switch (database) {
            case POSTGRESQL ->
                "SELECT fencing_token FROM " + table
                        + " WHERE lock_key = sha256(convert_to(?, 'UTF8')) AND fencing_token = ?"
                        + " AND expires_at > clock_timestamp() FOR SHARE";
            case MARIADB ->
                "SELECT fencing_token FROM " + table
                        + " WHERE lock_key = UNHEX(SHA2(CONVERT(? USING utf8mb4), 256)) AND fencing_token = ?"
                        + " AND expires_at > UTC_TIMESTAMP(6) LOCK IN SHARE MODE";
            case H2 ->
                "SELECT fencing_token FROM " + table
                        + " WHERE lock_key = HASH('SHA-256', STRINGTOUTF8(?)) AND fencing_token = ?"
                        + " AND expires_at > CURRENT_TIMESTAMP(6) FOR UPDATE";
        };
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void M3_theDocumentedSameDatabaseCheckFindsExactlyTheLiveLease(TestDatabase database) throws Exception {
        String table = table(database);
        LockManager manager = open(database.settings(table));
        String resource = "account-7 ü";
        var lease = manager.tryAcquire(resource, "worker", Duration.ZERO, Duration.ofMinutes(1))
                .orElseThrow();
        try (Connection connection = database.connect()) {
            connection.setAutoCommit(false);
            try (var check = connection.prepareStatement(fenceCheck(database, table))) {
                check.setString(1, resource);
                check.setLong(2, lease.fencingToken());
                try (var row = check.executeQuery()) {
                    assertThat(row.next()).as("the live lease").isTrue();
                }
                check.setLong(2, lease.fencingToken() - 1);
                try (var row = check.executeQuery()) {
                    assertThat(row.next()).as("an older token").isFalse();
                }
            }
            connection.rollback();
        }
        assertThat(lease.release()).isTrue();
        try (Connection connection = database.connect();
                var check = connection.prepareStatement(fenceCheck(database, table))) {
            connection.setAutoCommit(false);
            check.setString(1, resource);
            check.setLong(2, lease.fencingToken());
            try (var row = check.executeQuery()) {
                assertThat(row.next()).as("a released lease").isFalse();
            }
            connection.rollback();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSchemaQualifiedTableWorks(TestDatabase database) {
        database.assumeAvailable();
        String schema = switch (database) {
            case POSTGRESQL -> "public";
            case MARIADB -> "test";
            case H2 -> "PUBLIC";
        };
        String table = schema + "." + TestDatabase.uniqueTable("qualified");
        cleanup.add(() -> database.dropTable(table));
        Map<String, String> settings = database.settings(table);
        settings.put("dlm.jdbc.create-table", "true");
        LockManager one = open(settings);
        LockManager two = open(settings);
        assertThat(one.lock("r", "a", 0)).isTrue();
        assertThat(two.lock("r", "b", 0)).isFalse();
        assertThat(one.unlock("r", "a")).isTrue();
        assertThat(two.lock("r", "b", 0)).isTrue();
    }
}
