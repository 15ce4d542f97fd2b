package io.dlm.backend.jdbc;

import io.dlm.tck.cdi.ClusteredCdiTck;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.util.HashMap;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The CDI rules across applications (S1, S2, S4), on CDI nodes that share a PostgreSQL table. */
class PostgresClusteredCdiTest extends ClusteredCdiTck {

    @RegisterExtension
    static final ClassTable TABLE = new ClassTable(TestDatabase.POSTGRESQL, "job");

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
