package io.dlm.benchmarks.keepalive;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.tck.TckBackends;
import java.time.Duration;
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
        // The link's blocking renewals and its close wait as long as the runtime's operations may.
        return TckBackends.decorated(engineName, engine -> delayed(engine, context.operationTimeout()))
                .open(context);
    }

    private DelayedBackend delayed(LockBackend engine, Duration operationTimeout) {
        DelayedBackend backend = new DelayedBackend(engine, delay, operationTimeout);
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
