package io.dlm.interceptor;

/**
 * Fired when an intercepted method released its lock, the lease having been held throughout (D2).
 *
 * <p>With {@code holdAtLeast} (S2) the lock outlives the call: the event is fired when the runtime
 * actually released it, on the runtime's thread that releases, once the hold time passed; so an
 * observer that sees it knows the resource is free. A lock lost or not released during that hold
 * (it then expires by its lease) fires no {@code LockReleased}; the call had returned normally.
 *
 * @param resourceId the resource
 * @param clientId the invocation's client id
 * @param fencingToken the acquisition's token (F1)
 * @param operation {@code SimpleClassName#method}
 */
public record LockReleased(String resourceId, String clientId, long fencingToken, String operation)
        implements LockEvent {}
