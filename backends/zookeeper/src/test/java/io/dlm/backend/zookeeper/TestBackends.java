package io.dlm.backend.zookeeper;

import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.TckBackends;
import io.dlm.tck.fault.FaultProxy;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.awaitility.Awaitility;

/**
 * Opens managers whose backend the test can reach, to break its session or count its watches.
 * They are opened through {@link LockManagers#open(io.dlm.spi.LockBackendProvider, Map)}, as users
 * open a backend they supply, so the runtime wires its loss listener (K3) as it does for every
 * backend; {@link ZooKeeperTckTest} opens them by name.
 */
final class TestBackends {

    /** A manager and the backend under it. */
    record Opened(LockManager manager, ZooKeeperLockBackend backend) implements AutoCloseable {

        /**
         * Waits until the manager answers, its session up, so that what the test does next meets
         * a connected client rather than a first handshake; closes the manager if it never does.
         *
         * @return this
         */
        Opened awaitSession() {
            try {
                Awaitility.await()
                        .atMost(Duration.ofSeconds(30))
                        .ignoreException(LockException.class)
                        .until(() -> manager.inspect("warm-up").isEmpty());
                return this;
            } catch (RuntimeException | Error e) {
                close();
                throw e;
            }
        }

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
        return open(UnaryOperator.identity(), connect, basePath, keysAndValues);
    }

    /**
     * A fault proxy in front of the shared test server, for managers opened {@link #openThrough
     * through} it.
     *
     * @return the proxy, which the caller closes
     * @throws IOException if no port can be opened
     */
    static FaultProxy proxyToSharedServer() throws IOException {
        return FaultProxy.start("127.0.0.1", TestZooKeeper.shared().getPort());
    }

    /**
     * Opens a manager that reaches its server through a fault proxy.
     *
     * @param proxy the proxy, which forwards to the server
     * @param basePath the base path
     * @param keysAndValues more settings
     * @return the manager and its backend
     */
    static Opened openThrough(FaultProxy proxy, String basePath, String... keysAndValues) {
        return open(proxy.host() + ":" + proxy.port(), basePath, keysAndValues);
    }

    /**
     * Opens a manager whose backend is wrapped in {@code decorator}, to inject faults at the SPI.
     *
     * @param decorator wraps the real backend
     * @param connect the connect string
     * @param basePath the base path
     * @param keysAndValues more settings
     * @return the manager and the real backend under the decorator
     */
    static Opened open(UnaryOperator<LockBackend> decorator, String connect, String basePath, String... keysAndValues) {
        AtomicReference<ZooKeeperLockBackend> opened = new AtomicReference<>();
        LockManager manager = LockManagers.open(
                TckBackends.decorated(new ZooKeeperLockBackendProvider(), backend -> {
                    opened.set((ZooKeeperLockBackend) backend);
                    return decorator.apply(backend);
                }),
                settings(connect, basePath, keysAndValues));
        return new Opened(manager, opened.get());
    }

    /**
     * The settings of a backend on the given server and base path.
     *
     * @param connect the connect string
     * @param basePath the base path
     * @param keysAndValues more settings
     * @return the {@code dlm.*} settings
     */
    static Map<String, String> settings(String connect, String basePath, String... keysAndValues) {
        Map<String, String> properties = new HashMap<>();
        properties.put(ZooKeeperSettings.CONNECT, connect);
        properties.put(ZooKeeperSettings.BASE_PATH, basePath);
        for (int i = 0; i < keysAndValues.length; i += 2) {
            properties.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return Map.copyOf(properties);
    }
}
