package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.OperationTimeoutTck;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 18 on JDBC: with a pool of DLM's own ({@code dlm.jdbc.url}) the shortest {@code
 * dlm.operation.timeout} is 250 ms, HikariCP's least wait for a connection; it works against each
 * database, and a shorter one fails {@code open} naming the key and the least value, before the
 * pool is built. One subclass per database, in a table of its own made with the shipped DDL.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcOperationTimeoutTck extends OperationTimeoutTck {

    // An instance field, as the subclass names the database: JUnit calls it around the whole
    // class only because the class has one instance (PER_CLASS).
    @RegisterExtension
    private final ClassTable table;

    JdbcOperationTimeoutTck(TestDatabase database) {
        this.table = new ClassTable(database, "timeout");
    }

    @Override
    protected LockManager openManager(Map<String, String> settings) {
        Map<String, String> all = new HashMap<>(settings);
        all.putAll(table.settings());
        return LockManagers.open(JdbcLockBackendProvider.NAME, all);
    }

    @Override
    protected Duration leastOperationTimeout() {
        return Duration.ofMillis(250);
    }
}
