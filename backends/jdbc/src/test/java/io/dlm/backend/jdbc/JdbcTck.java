package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The whole TCK on one database, in a table of its own made with the shipped DDL; one subclass per
 * dialect names the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcTck extends SharedLockSpaceTck {

    // An instance field, as the subclass names the database: JUnit calls it around the whole
    // class only because the class has one instance (PER_CLASS).
    @RegisterExtension
    private final ClassTable table;

    JdbcTck(TestDatabase database) {
        this.table = new ClassTable(database, "tck");
    }

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open(JdbcLockBackendProvider.NAME, withDatabase(properties));
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(
                TckBackends.decorated(new JdbcLockBackendProvider(), decorator), withDatabase(properties));
    }

    private Map<String, String> withDatabase(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.putAll(table.settings());
        return all;
    }

    /** Leases are kept to the microsecond, as the databases' timestamps are. */
    @Override
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1_000);
    }
}
