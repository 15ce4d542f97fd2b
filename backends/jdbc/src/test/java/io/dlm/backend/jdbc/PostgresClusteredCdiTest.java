package io.dlm.backend.jdbc;

import io.dlm.tck.cdi.ClusteredCdiTck;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.util.HashMap;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CDI rules across applications (S1, S2, S4), on CDI nodes that share a PostgreSQL table. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresClusteredCdiTest extends ClusteredCdiTck {

    private static final TestDatabase DATABASE = TestDatabase.POSTGRESQL;

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(DATABASE, "job");

    @Override
    protected SeContainerInitializer node(String name) {
        return new Weld().containerId(name);
    }

    @Override
    protected Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>(TABLE.settings());
        settings.put("dlm.backend", JdbcLockBackendProvider.NAME);
        return settings;
    }
}
