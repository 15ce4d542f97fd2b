package io.dlm.backend.zookeeper;

import io.dlm.LockManager;
import io.dlm.impl.DefaultLockManager;
import io.dlm.spi.Durations;
import io.dlm.spi.Ticker;
import io.dlm.spi.BackendContext;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Opens managers whose backend the test can reach, to break its session or count its watches.
 * Users open the backend through {@code LockManagers}; {@link ZooKeeperTckTest} does so too.
 */
final class TestBackends {

    /** A manager and the backend under it. */
    record Opened(LockManager manager, ZooKeeperLockBackend backend) implements AutoCloseable {
        @Override
        public void close() {
            manager.close();
        }
    }

    private TestBackends() {}

    /**
     * Opens a manager on the given server and base path.
     *
     * @param connect the connect string
     * @param basePath the base path
     * @param keysAndValues more settings
     * @return the manager and its backend
     */
    static Opened open(String connect, String basePath, String... keysAndValues) {
        Map<String, String> properties = new HashMap<>();
        properties.put(ZooKeeperSettings.CONNECT, connect);
        properties.put(ZooKeeperSettings.BASE_PATH, basePath);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        Map<String, String> settings = Map.copyOf(properties);
        ZooKeeperLockBackend backend =
                (ZooKeeperLockBackend) new ZooKeeperLockBackendProvider().open(new Context(settings));
        return new Opened(DefaultLockManager.open(backend, settings, Ticker.system()), backend);
    }

    /** The runtime's context, rebuilt from its public parsing so that the backend sees the same. */
    private record Context(Map<String, String> properties) implements BackendContext {
        @Override
        public Optional<String> property(String key) {
            return Optional.ofNullable(properties.get(key));
        }

        @Override
        public Duration duration(String key, Duration defaultValue) {
            String value = properties.get(key);
            return value == null ? defaultValue : Durations.parsePositive(key, value);
        }

        @Override
        public Duration operationTimeout() {
            return duration("dlm.operation.timeout", Duration.ofSeconds(5));
        }
    }
}
