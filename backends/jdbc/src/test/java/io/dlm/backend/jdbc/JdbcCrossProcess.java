package io.dlm.backend.jdbc;

import io.dlm.tck.jvm.CrossProcessTck;
import java.util.Map;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TCK's cross-process tier on one database, in a table of its own; one subclass per server
 * names it (H2 in memory lives in one JVM, so it has none).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcCrossProcess extends CrossProcessTck {

    // An instance field, as the subclass names the database: JUnit calls it around the whole
    // class only because the class has one instance (PER_CLASS).
    @RegisterExtension
    private final ClassTable table;

    JdbcCrossProcess(TestDatabase database) {
        this.table = new ClassTable(database, "forked");
    }

    @Override
    protected String backend() {
        return JdbcLockBackendProvider.NAME;
    }

    @Override
    protected Map<String, String> settings() {
        return table.settings();
    }
}
