package io.dlm.tck;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import java.util.ServiceLoader;
import java.util.function.UnaryOperator;

/**
 * Builds the decorated backends of {@link LockManagerTck#openManager(java.util.Map, UnaryOperator)}:
 * the real provider opens the real backend with the runtime's context, and the TCK's decorator wraps
 * it, so that a fault is injected at one call while the engine does everything else.
 */
public final class TckBackends {

    private TckBackends() {}

    /**
     * A provider that opens the named backend, found by {@link ServiceLoader}, and decorates it.
     *
     * @param name the backend's provider name, e.g. {@code redis}
     * @param decorator wraps the opened backend
     * @return the decorating provider, named like the real one
     * @throws IllegalArgumentException if no provider has that name
     */
    public static LockBackendProvider decorated(String name, UnaryOperator<LockBackend> decorator) {
        for (LockBackendProvider provider : ServiceLoader.load(LockBackendProvider.class)) {
            if (provider.name().equals(name)) {
                return decorated(provider, decorator);
            }
        }
        throw new IllegalArgumentException("No LockBackendProvider named '" + name + "' on the class path");
    }

    /**
     * A provider that opens backends with {@code real} and decorates them.
     *
     * @param real the real provider
     * @param decorator wraps each opened backend
     * @return the decorating provider, named like the real one
     */
    public static LockBackendProvider decorated(LockBackendProvider real, UnaryOperator<LockBackend> decorator) {
        return new LockBackendProvider() {
            @Override
            public String name() {
                return real.name();
            }

            @Override
            public LockBackend open(BackendContext context) {
                return decorator.apply(real.open(context));
            }
        };
    }
}
