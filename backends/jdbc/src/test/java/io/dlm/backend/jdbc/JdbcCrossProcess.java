package io.dlm.backend.jdbc;

import io.dlm.tck.jvm.CrossProcessTck;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * The TCK's cross-process tier on one database, in a table of its own; one subclass per server
 * names it (H2 in memory lives in one JVM, so it has none).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcCrossProcess extends CrossProcessTck {

    private final TestDatabase database;
    private String table = "";

    JdbcCrossProcess(TestDatabase database) {
        this.database = database;
    }

    @BeforeAll
    void createTable() {
        database.assumeAvailable();
        table = database.createTable("forked");
    }

    @AfterAll
    void dropTable() {
        if (!table.isEmpty()) {
            database.dropTable(table);
        }
    }

    @Override
    protected String backend() {
        return JdbcLockBackendProvider.NAME;
    }

    @Override
    protected Map<String, String> settings() {
        return database.settings(table);
    }
}
