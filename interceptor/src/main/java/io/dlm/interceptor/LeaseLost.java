package io.dlm.interceptor;

/**
 * Fired as soon as a method's lease is known to be lost (D4, K3): a renewal was refused, the
 * lease's local deadline passed without a confirmed renewal (the event then fires at that
 * deadline, even while a renewal is still in flight), the engine reported the lease gone, or the
 * final release found the lock gone. The caller also gets {@code LockException(LOCK_NOT_HELD)}
 * when the method returns, after this event's observers ran. Observers run on a thread of the
 * runtime that renews no lease; they should still be short, as other losses wait for that thread.
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
        /** The engine refused a renewal (H2), or reported the lease or its session gone (K3). */
        HEARTBEAT_REFUSED,
        /**
         * No renewal was confirmed by the lease's local deadline (K2, K3: renewals failed, were too
         * slow, or the engine did not answer), or the manager was closed (C1).
         */
        HEARTBEAT_FAILED,
        /** The release after the call answered "not held" (U2). */
        RELEASE_REFUSED
    }
}
