package io.dlm.backend.jdbc;

import io.dlm.tck.jvm.SkewedClocksTck;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * A job scheduled in two JVMs whose wall clocks differ runs once per tick (S1, S2), on PostgreSQL
 * in a table of its own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresSkewedClocksTest extends SkewedClocksTck {

    private static final TestDatabase DATABASE = TestDatabase.POSTGRESQL;

    private String table = "";

    @BeforeAll
    void createTable() {
        DATABASE.assumeAvailable();
        table = DATABASE.createTable("skewed");
    }

    @AfterAll
    void dropTable() {
        if (!table.isEmpty()) {
            DATABASE.dropTable(table);
        }
    }

    @Override
    protected String backend() {
        return JdbcLockBackendProvider.NAME;
    }

    @Override
    protected Map<String, String> settings() {
        return DATABASE.settings(table);
    }
}
