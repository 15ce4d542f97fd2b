package io.dlm.backend.jdbc;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackendProvider;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Opens the {@code jdbc} backend around a DataSource the caller already has, for {@link
 * JdbcLockManagers#open}: the runtime opens it through {@link io.dlm.LockManagers#open(
 * LockBackendProvider, java.util.Map)} with its own context, as it opens any other backend. The
 * DataSource stays the caller's: closing the backend leaves it open.
 */
final class DataSourceBackendProvider implements LockBackendProvider {

    private final DataSource dataSource;

    DataSourceBackendProvider(DataSource dataSource) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    }

    @Override
    public String name() {
        return JdbcLockBackendProvider.NAME;
    }

    /**
     * Opens a backend on the DataSource.
     *
     * @throws IllegalArgumentException naming the key of an invalid setting, or of {@code
     *     dlm.jdbc.url} or {@code dlm.jdbc.datasource}, which a DataSource handed in excludes (E1a)
     * @throws io.dlm.LockException {@code INTERNAL_ERROR} when the database cannot be reached or
     *     lacks the table
     */
    @Override
    public JdbcLockBackend open(BackendContext context) {
        JdbcSettings settings = JdbcSettings.parse(context, true);
        String listenerName = Connections.listenerName(settings.table());
        return JdbcBackends.open(settings, dataSource, () -> {}, Connections.from(dataSource, listenerName), false);
    }
}
