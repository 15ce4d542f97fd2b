package io.dlm.backend.jdbc;

import io.dlm.tck.fault.LockManagerFaultTck;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The fault tier on H2 in memory: H2 runs inside the test's JVM, with no connection to cut, slow
 * down or pause, so only the history test applies (holders pausing past short leases); the network
 * faults are reported as not applicable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class H2FaultTest extends LockManagerFaultTck {

    private static final TestDatabase DATABASE = TestDatabase.H2;
    private String table = "";

    @BeforeAll
    void createTable() {
        table = DATABASE.createTable("faults");
    }

    @AfterAll
    void dropTable() {
        if (!table.isEmpty()) {
            DATABASE.dropTable(table);
        }
    }

    @Override
    protected String backendName() {
        return JdbcLockBackendProvider.NAME;
    }

    /** The database's URL and this class's table. */
    @Override
    protected Map<String, String> properties() {
        return DATABASE.settings(table);
    }
}
