package io.dlm.cdi;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.LockedWork;
import io.dlm.tck.TckBackends;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The application's {@link LockManager} in tests that script the engine: the real runtime, opened
 * with {@link LockManagers#open(io.dlm.spi.LockBackendProvider, Map)} on the memory backend behind
 * a {@link ScriptedBackend}. As an enabled alternative it replaces the manager the extension
 * produces, the way an application hands the extension a manager of its own.
 */
@Alternative
@Priority(1)
@Singleton // tests read its fields; a client proxy would hide them
public class ScriptedLockManager implements LockManager {

    /** Made by the container, once (a singleton). */
    public ScriptedLockManager() {}

    /** The engine's script; tests set its renewal mode. */
    final ScriptedBackend backend = new ScriptedBackend();

    private final LockManager delegate = LockManagers.open(TckBackends.decorated("memory", backend::around), Map.of());

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return delegate.lock(resourceId, clientId, timeoutMillis);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        return delegate.unlock(resourceId, clientId);
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        return delegate.heartbeat(resourceId, clientId);
    }

    @Override
    public Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime) {
        return delegate.tryAcquire(resourceId, clientId, wait, leaseTime);
    }

    @Override
    public <T, E extends Exception> T withLock(
            String resourceId,
            String clientId,
            Duration wait,
            Duration leaseTime,
            Duration holdAtLeast,
            LockedWork<T, E> work)
            throws E {
        return delegate.withLock(resourceId, clientId, wait, leaseTime, holdAtLeast, work);
    }

    @Override
    public Leadership lead(String resourceId, String clientId, Duration leaseTime, LeadershipListener listener) {
        return delegate.lead(resourceId, clientId, leaseTime, listener);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return delegate.inspect(resourceId);
    }

    @Override
    @PreDestroy
    public void close() {
        delegate.close();
    }
}
