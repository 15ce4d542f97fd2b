package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.OperationTimeoutTck;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Issue 18 on JDBC: with a pool of DLM's own ({@code dlm.jdbc.url}) the shortest {@code
 * dlm.operation.timeout} is 250 ms, HikariCP's least wait for a connection; it works against each
 * database, and a shorter one fails {@code open} naming the key and the least value, before the
 * pool is built. One subclass per database, in a table of its own made with the shipped DDL; one
 * instance per class, so that the table is the class's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcOperationTimeoutTck extends OperationTimeoutTck {

    private final TestDatabase database;
    private String table = "";

    JdbcOperationTimeoutTck(TestDatabase database) {
        this.database = database;
    }

    @BeforeAll
    void createTable() {
        database.assumeAvailable();
        table = database.createTable("timeout");
    }

    @AfterAll
    void dropTable() {
        if (!table.isEmpty()) {
            database.dropTable(table);
        }
    }

    @Override
    protected LockManager openManager(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.putAll(database.settings(table));
        return LockManagers.open(JdbcLockBackendProvider.NAME, all);
    }

    @Override
    protected Duration leastOperationTimeout() {
        return Duration.ofMillis(250);
    }
}
