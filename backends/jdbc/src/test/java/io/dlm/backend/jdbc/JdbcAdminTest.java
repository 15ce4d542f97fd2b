package io.dlm.backend.jdbc;

import io.dlm.tck.LockAdminTck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

/**
 * The operator's tier of the TCK (O4) on every database: listing the live leases of the backend's
 * own table, and breaking a lease so that the next holder gets a larger token (F1). Each lock space
 * is a table of its own, dropped after the test.
 */
class JdbcAdminTest {

    /** One database's run of the tier. */
    abstract static class OnDatabase extends LockAdminTck {

        private final TestDatabase database;
        private final List<String> tables = new ArrayList<>();

        OnDatabase(TestDatabase database) {
            this.database = database;
        }

        @Override
        protected String backend() {
            return "jdbc";
        }

        @Override
        protected Map<String, String> newLockSpace() {
            database.assumeAvailable();
            String table = database.createTable("admin");
            tables.add(table);
            return database.settings(table);
        }

        @AfterEach
        void dropTables() {
            tables.forEach(database::dropTable);
            tables.clear();
        }
    }

    @Nested
    class OnPostgres extends OnDatabase {
        OnPostgres() {
            super(TestDatabase.POSTGRESQL);
        }
    }

    /** MariaDB's waiters poll with a backoff bounded by the lease: nothing announces a release. */
    @Nested
    class OnMariaDb extends OnDatabase {
        OnMariaDb() {
            super(TestDatabase.MARIADB);
        }

        @Override
        protected Duration forcedReleaseWakesWaiterWithin() {
            return Duration.ofSeconds(61).plus(prompt());
        }
    }

    /** As on MariaDB, H2's waiters poll. */
    @Nested
    class OnH2 extends OnDatabase {
        OnH2() {
            super(TestDatabase.H2);
        }

        @Override
        protected Duration forcedReleaseWakesWaiterWithin() {
            return Duration.ofSeconds(61).plus(prompt());
        }
    }
}
