package io.dlm.interceptor;

/**
 * Fired when an intercepted method got its lock, before the method runs (D2).
 *
 * @param resourceId the resource
 * @param clientId the invocation's client id
 * @param fencingToken the acquisition's token (F1)
 * @param operation {@code SimpleClassName#method}
 */
public record LockAcquired(String resourceId, String clientId, long fencingToken, String operation)
        implements LockEvent {}
