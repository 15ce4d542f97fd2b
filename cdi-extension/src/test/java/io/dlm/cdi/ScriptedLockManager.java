package io.dlm.cdi;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Priority;
import jakarta.enterprise.inject.Alternative;
import jakarta.inject.Singleton;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real in-memory manager whose heartbeats a test can make fail, and which counts heartbeats and
 * notices a heartbeat sent after the release. Not a mock of an engine: every lock operation is the
 * memory backend's own.
 */
@Alternative
@Priority(1)
@Singleton // tests read its fields; a client proxy would hide them
public class ScriptedLockManager implements LockManager {

    final AtomicBoolean refuseHeartbeats = new AtomicBoolean();
    final AtomicInteger heartbeats = new AtomicInteger();
    final AtomicInteger heartbeatsAfterRelease = new AtomicInteger();
    private final Set<String> released = ConcurrentHashMap.newKeySet();
    private final LockManager delegate = LockManagers.inMemory();

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        return delegate.lock(resourceId, clientId, timeoutMillis);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        released.add(clientId);
        return delegate.unlock(resourceId, clientId);
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        heartbeats.incrementAndGet();
        if (released.contains(clientId)) {
            heartbeatsAfterRelease.incrementAndGet();
        }
        return !refuseHeartbeats.get() && delegate.heartbeat(resourceId, clientId);
    }

    @Override
    public Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime) {
        return delegate.tryAcquire(resourceId, clientId, wait, leaseTime).map(ScriptedLease::new);
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

    /** Routes the lease's renew and release through the scripted manager. */
    private final class ScriptedLease implements Lease {
        private final Lease lease;

        ScriptedLease(Lease lease) {
            this.lease = lease;
        }

        @Override
        public String resourceId() {
            return lease.resourceId();
        }

        @Override
        public String clientId() {
            return lease.clientId();
        }

        @Override
        public long fencingToken() {
            return lease.fencingToken();
        }

        @Override
        public boolean renew() {
            return heartbeat(resourceId(), clientId());
        }

        @Override
        public boolean release() {
            return unlock(resourceId(), clientId());
        }

        @Override
        public void close() {
            lease.close();
        }
    }
}
