package io.dlm.benchmarks.cost;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.BackendContext;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import java.time.Duration;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.LongAdder;

/**
 * DLM's in-memory backend, found by name as {@code LockManagers.open("memory", ...)} finds it,
 * with a count of the renewals the runtime sends it. The wrapper is itself an {@link
 * InProcessLockBackend}, so the runtime renews through it exactly as it renews the bare backend
 * (inline on its keep-alive thread). Pass it to {@code LockManagers.open(provider, properties)}.
 */
final class CountingMemoryProvider implements LockBackendProvider {

    private final LongAdder renewals = new LongAdder();

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public LockBackend open(BackendContext context) {
        LockBackend engine = ServiceLoader.load(LockBackendProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equals("memory"))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no memory backend on the class path"))
                .open(context);
        return new Counting(engine);
    }

    /**
     * Renewals sent so far.
     *
     * @return the count
     */
    long renewals() {
        return renewals.sum();
    }

    /** Forwards every call; counts renewals. */
    private final class Counting implements InProcessLockBackend {
        private final LockBackend engine;

        Counting(LockBackend engine) {
            this.engine = engine;
        }

        @Override
        public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
            return engine.acquire(resourceId, clientId, leaseNanos, attempt);
        }

        @Override
        public boolean release(String resourceId, String clientId, long fencingToken) {
            return engine.release(resourceId, clientId, fencingToken);
        }

        @Override
        public boolean renew(String resourceId, String clientId, long fencingToken) {
            renewals.increment();
            return engine.renew(resourceId, clientId, fencingToken);
        }

        @Override
        public void undo(String resourceId, String clientId, long attempt) {
            engine.undo(resourceId, clientId, attempt);
        }

        @Override
        public Optional<LockInfo> inspect(String resourceId) {
            return engine.inspect(resourceId);
        }

        @Override
        public Duration leaseGranularity() {
            return engine.leaseGranularity();
        }

        @Override
        public void close() {
            engine.close();
        }
    }
}
