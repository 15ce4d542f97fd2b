package io.dlm.backend.jdbc;

import io.dlm.tck.fault.InProcessFaultTck;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The fault tier on H2 in memory: H2 runs inside the test's JVM, with no connection to cut, slow
 * down or pause, so it runs the in-process tier (holders pausing past short leases).
 */
class H2FaultTest extends InProcessFaultTck {

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(TestDatabase.H2, "faults");

    @Override
    protected String backendName() {
        return JdbcLockBackendProvider.NAME;
    }

    /** The database's URL and this class's table. */
    @Override
    protected Map<String, String> properties() {
        return TABLE.settings();
    }
}
