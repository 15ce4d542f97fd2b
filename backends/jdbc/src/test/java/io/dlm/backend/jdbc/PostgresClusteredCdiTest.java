package io.dlm.backend.jdbc;

import io.dlm.tck.cdi.ClusteredCdiTck;
import jakarta.enterprise.inject.se.SeContainerInitializer;
import java.util.HashMap;
import java.util.Map;
import org.jboss.weld.environment.se.Weld;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** The CDI rules across applications (S1, S2, S4), on CDI nodes that share a PostgreSQL table. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostgresClusteredCdiTest extends ClusteredCdiTck {

    private static final TestDatabase DATABASE = TestDatabase.POSTGRESQL;

    private String table = "";

    @BeforeAll
    void createTable() {
        DATABASE.assumeAvailable();
        table = DATABASE.createTable("job");
    }

    @AfterAll
    void dropTable() {
        if (!table.isEmpty()) {
            DATABASE.dropTable(table);
        }
    }

    @Override
    protected SeContainerInitializer node(String name) {
        return new Weld().containerId(name);
    }

    @Override
    protected Map<String, String> settings() {
        Map<String, String> settings = new HashMap<>(DATABASE.settings(table));
        settings.put("dlm.backend", JdbcLockBackendProvider.NAME);
        return settings;
    }
}
