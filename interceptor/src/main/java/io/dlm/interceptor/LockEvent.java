package io.dlm.interceptor;

/**
 * What the {@link io.dlm.interceptor.DistributedLock} interceptor reports to CDI observers: {@link
 * LockAcquired}, {@link LockReleased}, {@link LeaseLost}, {@link LockWaitTimedOut} and {@link
 * LockSkipped} (S1). Observe this type to receive them all.
 *
 * <p>Events are fired synchronously on the thread where the step happened (the caller's thread,
 * or, for a lease lost while the method runs, the runtime's thread that reports losses; with
 * {@code holdAtLeast}, {@link LockReleased} on the runtime's thread that releases, S2). An observer that throws is logged and ignored: it
 * cannot change the lock's outcome. Events nobody observes cost nothing, since the extension
 * learns at deployment which types have observers.
 */
public sealed interface LockEvent permits LockAcquired, LockReleased, LeaseLost, LockWaitTimedOut, LockSkipped {

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
