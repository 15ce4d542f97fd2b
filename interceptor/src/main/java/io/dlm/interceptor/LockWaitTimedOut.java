package io.dlm.interceptor;

import java.time.Duration;

/**
 * Fired when an intercepted method did not get its lock within its timeout; the method was not
 * called and the caller gets {@code LockException(RESOURCE_LOCKED)} (D3).
 *
 * @param resourceId the resource
 * @param clientId the invocation's client id
 * @param timeout how long the call waited
 * @param operation {@code SimpleClassName#method}
 */
public record LockWaitTimedOut(String resourceId, String clientId, Duration timeout, String operation)
        implements LockEvent {}
