package io.dlm.benchmarks.cost;

import io.dlm.spi.BackendContext;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.tck.ForwardingLockBackend;
import io.dlm.tck.TckBackends;
import java.util.concurrent.atomic.LongAdder;

/**
 * DLM's in-memory backend, found by name as {@code LockManagers.open("memory", ...)} finds it,
 * with a count of the renewals the runtime sends it. The wrapper is itself an {@link
 * InProcessLockBackend}, so the runtime renews through it exactly as it renews the bare backend
 * (inline on its keep-alive thread). Pass it to {@code LockManagers.open(provider, properties)}.
 */
final class CountingMemoryProvider implements LockBackendProvider {

    private final LongAdder renewals = new LongAdder();
    private final LockBackendProvider counting = TckBackends.decorated("memory", Counting::new);

    @Override
    public String name() {
        return counting.name();
    }

    @Override
    public LockBackend open(BackendContext context) {
        return counting.open(context);
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
    private final class Counting extends ForwardingLockBackend implements InProcessLockBackend {

        Counting(LockBackend engine) {
            super(engine);
        }

        @Override
        public boolean renew(String resourceId, String clientId, long fencingToken) {
            renewals.increment();
            return super.renew(resourceId, clientId, fencingToken);
        }
    }
}
