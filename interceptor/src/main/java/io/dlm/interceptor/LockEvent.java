package io.dlm.interceptor;

/**
 * What the {@link io.dlm.interceptor.DistributedLock} interceptor reports to CDI observers: {@link
 * LockAcquired}, {@link LockReleased}, {@link LeaseLost} and {@link LockWaitTimedOut}. Observe
 * this type to receive all four.
 *
 * <p>Events are fired synchronously on the thread where the step happened (the caller's thread,
 * or, for a lease lost while the method runs, the runtime's thread that reports losses). An observer that throws is logged and ignored: it
 * cannot change the lock's outcome. Events nobody observes cost nothing, since the extension
 * learns at deployment which types have observers.
 */
public sealed interface LockEvent permits LockAcquired, LockReleased, LeaseLost, LockWaitTimedOut {

    /**
     * The resource, with its template resolved.
     *
     * @return the resource id
     */
    String resourceId();

    /**
     * The client id of the invocation.
     *
     * @return the client id
     */
    String clientId();

    /**
     * The intercepted method, as {@code SimpleClassName#method}.
     *
     * @return the operation's name
     */
    String operation();
}
