package io.dlm.impl.memory;

import io.dlm.spi.BackendContext;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.spi.Ticker;

/** Provides the embedded {@code memory} backend: one private lock space per manager. */
public final class MemoryLockBackendProvider implements LockBackendProvider {

    /** The provider name, {@code memory}. */
    public static final String NAME = "memory";

    /** Creates the provider; {@link java.util.ServiceLoader} calls this. */
    public MemoryLockBackendProvider() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LockBackend open(BackendContext context) {
        return new MemoryLockBackend(Ticker.system());
    }
}
