package io.dlm.backend.jdbc;

import io.dlm.tck.jvm.SkewedClocksTck;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A job scheduled in two JVMs whose wall clocks differ runs once per tick (S1, S2), on PostgreSQL
 * in a table of its own.
 */
class PostgresSkewedClocksTest extends SkewedClocksTck {

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(TestDatabase.POSTGRESQL, "skewed");

    @Override
    protected String backend() {
        return JdbcLockBackendProvider.NAME;
    }

    @Override
    protected Map<String, String> settings() {
        return TABLE.settings();
    }
}
