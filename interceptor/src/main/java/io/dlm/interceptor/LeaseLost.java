package io.dlm.interceptor;

/**
 * Fired as soon as the interceptor knows that a method's lease was lost (D4): a heartbeat was
 * refused, heartbeats kept failing past the lease, or the final release found the lock gone.
 * The caller also gets {@code LockException(LOCK_NOT_HELD)} when the method returns.
 *
 * @param resourceId the resource
 * @param clientId the invocation's client id
 * @param fencingToken the token of the lost acquisition (F1)
 * @param operation {@code SimpleClassName#method}
 * @param reason how the loss was noticed
 */
public record LeaseLost(String resourceId, String clientId, long fencingToken, String operation, Reason reason)
        implements LockEvent {

    /** How a lost lease was noticed. */
    public enum Reason {
        /** The backend answered a heartbeat with "not held" (H2). */
        HEARTBEAT_REFUSED,
        /** Heartbeats failed until the lease had run out, or the manager was closed (X1, C1). */
        HEARTBEAT_FAILED,
        /** The release after the call answered "not held" (U2). */
        RELEASE_REFUSED
    }
}
