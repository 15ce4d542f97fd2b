package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.util.Map;
import java.util.Objects;
import javax.sql.DataSource;

/**
 * Opens lock managers on a DataSource the application already has, e.g. its own pool or one
 * injected by the container, instead of a URL or a JNDI name.
 *
 * <pre>{@code
 * try (LockManager locks = JdbcLockManagers.open(dataSource, Map.of("dlm.jdbc.table", "app_locks"))) {
 *     ...
 * }
 * }</pre>
 *
 * <p>The DataSource should hand out auto-commit connections that take part in no container
 * transaction: a lock must be visible to others the moment it is taken, not when the caller's
 * transaction commits. Closing the manager leaves the DataSource open.
 */
public final class JdbcLockManagers {

    private JdbcLockManagers() {}

    /**
     * Opens a manager whose locks live in a table reached through {@code dataSource}.
     *
     * @param dataSource the connections to use; it stays the caller's to close
     * @param properties {@code dlm.*} settings: the runtime's ({@code dlm.lease.*}, {@code
     *     dlm.operation.timeout}) and {@code dlm.jdbc.*} except {@code url}, {@code user}, {@code
     *     password} and {@code datasource}
     * @return an open manager
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a); the runtime's
     *     own are checked before anything connects
     * @throws io.dlm.LockException {@code INTERNAL_ERROR} when the database cannot be reached or
     *     lacks the table
     * @throws IllegalStateException if no DLM runtime ({@code io.dlm:dlm-impl}) is on the class path
     */
    public static LockManager open(DataSource dataSource, Map<String, String> properties) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(properties, "properties");
        return LockManagers.open(new DataSourceBackendProvider(dataSource), properties);
    }
}
