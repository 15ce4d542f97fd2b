package io.dlm.interceptor;

import java.util.Optional;

/**
 * Tells the code running inside a {@link DistributedLock} method which lock it holds, so that it
 * can hand the fencing token to the resource it protects (F1, M3). Inject it:
 *
 * <pre>{@code
 * @Inject LockContext lock;
 *
 * @DistributedLock(resource = "order-{orderId}")
 * void ship(String orderId) {
 *     orders.update(orderId, lock.fencingToken());   // UPDATE ... WHERE fence < ?
 * }
 * }</pre>
 *
 * <p>The context follows the thread: it is set while the method body runs on the calling thread
 * (for a method returning a {@code CompletionStage}, only during the synchronous part). Nested
 * locked calls stack; the innermost lock is the current one. {@code io.dlm:dlm-cdi} provides the
 * bean.
 */
public interface LockContext {

    /**
     * The lock of the innermost running {@code @DistributedLock} method on this thread.
     *
     * @return the lock, or empty outside such a method
     */
    Optional<HeldLock> current();

    /**
     * Tells whether a running intercepted method on this thread holds the resource (D3).
     *
     * @param resourceId the resource
     * @return {@code true} if this thread's callers hold it
     */
    boolean holds(String resourceId);

    /**
     * The fencing token of the current lock (F1, M3).
     *
     * @return the token
     * @throws IllegalStateException outside a {@code @DistributedLock} method
     */
    default long fencingToken() {
        return require().fencingToken();
    }

    /**
     * The resource of the current lock.
     *
     * @return the resolved resource id
     * @throws IllegalStateException outside a {@code @DistributedLock} method
     */
    default String resourceId() {
        return require().resourceId();
    }

    /**
     * The client id of the current invocation.
     *
     * @return the client id
     * @throws IllegalStateException outside a {@code @DistributedLock} method
     */
    default String clientId() {
        return require().clientId();
    }

    private HeldLock require() {
        return current()
                .orElseThrow(() -> new IllegalStateException(
                        "No lock is held here: LockContext is only set inside a @DistributedLock method,"
                                + " on the thread that called it"));
    }
}
