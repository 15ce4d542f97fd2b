package io.dlm.backend.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import javax.sql.DataSource;

/**
 * Provides the {@code jdbc} backend: locks in a table of PostgreSQL, MariaDB or H2.
 *
 * <p>Connections come from {@code dlm.jdbc.url} (with {@code dlm.jdbc.user}, {@code
 * dlm.jdbc.password}) through a HikariCP pool of DLM's own, or from a container's DataSource named
 * by {@code dlm.jdbc.datasource} (JNDI). To hand in a DataSource directly, use {@link
 * JdbcLockManagers#open}. The other settings are listed in {@code docs/backends/jdbc.md}.
 */
public final class JdbcLockBackendProvider implements LockBackendProvider {

    /** The provider name, {@code jdbc}. */
    public static final String NAME = "jdbc";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public JdbcLockBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    /**
     * Opens a backend: builds the pool or looks the DataSource up, detects the database, and checks
     * (or creates, with {@code dlm.jdbc.create-table=true}) the lock table.
     *
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a)
     * @throws io.dlm.LockException {@code INTERNAL_ERROR} when the database cannot be reached or
     *     lacks the table
     */
    @Override
    public LockBackend open(BackendContext context) {
        JdbcSettings settings = JdbcSettings.parse(context, false);
        String listenerName = Connections.listenerName(settings.table());
        String jndiName = settings.jndiName();
        if (jndiName != null) {
            DataSource dataSource = Connections.lookup(jndiName);
            return JdbcBackends.open(settings, dataSource, () -> {}, Connections.from(dataSource, listenerName), false);
        }
        HikariDataSource pool = Connections.pool(settings);
        return JdbcBackends.open(
                settings,
                pool,
                pool,
                Connections.direct(settings, listenerName),
                Connections.serverBoundsStatements(settings));
    }
}
