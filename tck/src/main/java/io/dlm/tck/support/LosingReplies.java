package io.dlm.tck.support;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import io.dlm.tck.ForwardingLockBackend;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A backend whose acquisitions the engine applies but whose replies are lost while the test says
 * so: each acquisition reaches the real backend, and then fails with {@code INTERNAL_ERROR}, as a
 * call whose connection broke after the engine answered. The runtime must then undo it by its
 * attempt id before the error reaches the caller, and only it (SPEC X5).
 *
 * <pre>{@code
 * AtomicBoolean lose = new AtomicBoolean();
 * LockManager manager = LockManagers.open(TckBackends.decorated("redis", real -> new LosingReplies(real, lose)), settings);
 * lose.set(true); // the next acquisitions are applied and then fail
 * }</pre>
 */
public final class LosingReplies extends ForwardingLockBackend {

    private final AtomicBoolean lose;

    /**
     * Wraps a real backend.
     *
     * @param real the backend that applies every acquisition
     * @param lose while {@code true}, an applied acquisition's reply is lost
     */
    public LosingReplies(LockBackend real, AtomicBoolean lose) {
        super(real);
        this.lose = lose;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        Acquisition applied = super.acquire(resourceId, clientId, leaseNanos, attempt);
        if (lose.get()) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "the reply to acquiring '" + resourceId + "' was lost (injected): " + applied);
        }
        return applied;
    }
}
