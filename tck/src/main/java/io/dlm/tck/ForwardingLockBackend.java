package io.dlm.tck;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import java.time.Duration;
import java.util.Optional;

/**
 * A {@link LockBackend} that hands every call to another: the base of the wrappers that backend
 * tests put around a real backend to inject one fault (a lost reply, a slow call) while the engine
 * does the rest. Override the calls to change; the rest reach the real backend untouched.
 */
public class ForwardingLockBackend implements LockBackend {

    private final LockBackend real;

    /**
     * Wraps a backend.
     *
     * @param real the backend every call goes to
     */
    public ForwardingLockBackend(LockBackend real) {
        this.real = real;
    }

    /**
     * The wrapped backend.
     *
     * @return the backend every call goes to
     */
    protected final LockBackend real() {
        return real;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        return real.acquire(resourceId, clientId, leaseNanos, attempt);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        return real.release(resourceId, clientId, fencingToken);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return real.renew(resourceId, clientId, fencingToken);
    }

    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        real.undo(resourceId, clientId, attempt);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return real.inspect(resourceId);
    }

    @Override
    public Duration leaseGranularity() {
        return real.leaseGranularity();
    }

    @Override
    public Duration confirmationValidity() {
        return real.confirmationValidity();
    }

    @Override
    public void close() {
        real.close();
    }
}
