package io.dlm.backend.jdbc;

import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.spi.Durations;
import io.dlm.impl.LockSettings;
import io.dlm.spi.Ticker;
import io.dlm.spi.BackendContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
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
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a)
     * @throws io.dlm.LockException {@code INTERNAL_ERROR} when the database cannot be reached or
     *     lacks the table
     */
    public static LockManager open(DataSource dataSource, Map<String, String> properties) {
        Objects.requireNonNull(dataSource, "dataSource");
        Map<String, String> settings = copy(properties);
        // Checks the runtime's settings before connecting anywhere (E1a).
        Duration operationTimeout = LockSettings.parse(settings).operationTimeout();
        BackendContext context = new Context(settings, operationTimeout);
        JdbcSettings jdbc = JdbcSettings.parse(context, true);
        JdbcLockBackend backend = JdbcBackends.open(
                jdbc, dataSource, () -> {}, Connections.from(dataSource, Connections.listenerName(jdbc.table())));
        try {
            return DefaultLockManager.open(backend, settings, Ticker.system());
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    private static Map<String, String> copy(Map<String, String> properties) {
        Objects.requireNonNull(properties, "properties");
        Map<String, String> copy = new HashMap<>();
        properties.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new IllegalArgumentException("properties must not contain null keys or values (key " + key + ")");
            }
            copy.put(key, value);
        });
        return Map.copyOf(copy);
    }

    /** The settings as the backend reads them, parsed the way the runtime parses its own. */
    private record Context(Map<String, String> properties, Duration operationTimeout) implements BackendContext {

        @Override
        public Optional<String> property(String key) {
            return Optional.ofNullable(properties.get(key));
        }

        @Override
        public Duration duration(String key, Duration defaultValue) {
            String value = properties.get(key);
            return value == null ? defaultValue : Durations.parsePositive(key, value);
        }
    }
}
