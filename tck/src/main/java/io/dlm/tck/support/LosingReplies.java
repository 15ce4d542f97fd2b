package io.dlm.tck.support;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import io.dlm.tck.ForwardingLockBackend;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A backend whose acquisitions the engine applies but whose replies are lost while the test says
 * so: each acquisition reaches the real backend, and then fails, as a call whose connection broke
 * after the engine answered: with {@code INTERNAL_ERROR}, as a backend reports it, or with another
 * exception, as a backend with a defect might throw. The runtime must then undo it by its attempt id
 * before the error reaches the caller, and only it, and report {@code INTERNAL_ERROR} (SPEC X5).
 *
 * <pre>{@code
 * AtomicBoolean lose = new AtomicBoolean();
 * LockManager manager = LockManagers.open(TckBackends.decorated("redis", real -> new LosingReplies(real, lose)), settings);
 * lose.set(true); // the next acquisitions are applied and then fail
 * }</pre>
 */
public final class LosingReplies extends ForwardingLockBackend {

    private final AtomicBoolean lose;
    private final Function<String, RuntimeException> failure;

    /**
     * Wraps a real backend; a lost reply fails with {@code INTERNAL_ERROR}.
     *
     * @param real the backend that applies every acquisition
     * @param lose while {@code true}, an applied acquisition's reply is lost
     */
    public LosingReplies(LockBackend real, AtomicBoolean lose) {
        this(real, lose, message -> new LockException(LockError.INTERNAL_ERROR, message));
    }

    /**
     * Wraps a real backend; a lost reply fails with what {@code failure} makes.
     *
     * @param real the backend that applies every acquisition
     * @param lose while {@code true}, an applied acquisition's reply is lost
     * @param failure makes the exception of a lost reply from a message that names the resource
     */
    public LosingReplies(LockBackend real, AtomicBoolean lose, Function<String, RuntimeException> failure) {
        super(real);
        this.lose = lose;
        this.failure = failure;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        Acquisition applied = super.acquire(resourceId, clientId, leaseNanos, attempt);
        if (lose.get()) {
            throw failure.apply("the reply to acquiring '" + resourceId + "' was lost (injected): " + applied);
        }
        return applied;
    }
}
