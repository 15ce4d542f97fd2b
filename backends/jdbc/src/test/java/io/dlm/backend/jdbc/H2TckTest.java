package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.LockManagerTck;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** Runs the whole TCK on H2, in a table of its own made with the shipped DDL. */
class H2TckTest extends LockManagerTck {

    private static final TestDatabase DATABASE = TestDatabase.H2;
    private static String table = "";

    @BeforeAll
    static void createTable() {
        DATABASE.assumeAvailable();
        table = DATABASE.createTable("tck");
    }

    @AfterAll
    static void dropTable() {
        if (!table.isEmpty()) {
            DATABASE.dropTable(table);
        }
    }

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.putAll(DATABASE.settings(table));
        return LockManagers.open("jdbc", all);
    }

    /** Leases are kept to the microsecond, as the databases' timestamps are. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1_000);
    }

    @Override
    protected boolean sharedLockSpace() {
        return true;
    }
}
