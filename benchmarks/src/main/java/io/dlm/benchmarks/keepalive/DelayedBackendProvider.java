package io.dlm.benchmarks.keepalive;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import java.time.Duration;
import java.util.ServiceLoader;
import org.jspecify.annotations.Nullable;

/**
 * Opens a backend found by name on the class path, as {@code LockManagers.open(name, ...)} would,
 * and hands the runtime a {@link DelayedBackend} around it. Pass it to
 * {@code LockManagers.open(provider, properties)}; it is not registered for discovery.
 */
final class DelayedBackendProvider implements LockBackendProvider {

    private final String engineName;
    private final Duration delay;
    private volatile @Nullable DelayedBackend opened;

    DelayedBackendProvider(String engineName, Duration delay) {
        this.engineName = engineName;
        this.delay = delay;
    }

    /** The engine's name, so that its {@code dlm.<name>.*} settings are its own. */
    @Override
    public String name() {
        return engineName;
    }

    @Override
    public LockBackend open(BackendContext context) {
        LockBackendProvider engine = ServiceLoader.load(LockBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equals(engineName))
                .findFirst()
                .orElseThrow(
                        () -> new IllegalArgumentException("no backend named '" + engineName + "' on the class path"));
        DelayedBackend backend = new DelayedBackend(engine.open(context), delay, context.operationTimeout());
        opened = backend;
        return backend;
    }

    /**
     * The backend this provider opened last.
     *
     * @return it
     * @throws IllegalStateException if none was opened yet
     */
    DelayedBackend opened() {
        DelayedBackend backend = opened;
        if (backend == null) {
            throw new IllegalStateException("no backend was opened yet");
        }
        return backend;
    }
}
