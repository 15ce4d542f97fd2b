package io.dlm.interceptor;

import java.time.Duration;

/**
 * Fired when a method with {@link WhenLocked#SKIP} did not get its lock, so it was not called and
 * the call returned an empty value (S1). Fired on the caller's thread, before the call returns.
 *
 * @param resourceId the resource
 * @param clientId the invocation's client id
 * @param timeout how long the call waited: the method's timeout, or {@link Duration#ZERO} when a
 *     caller on the same thread held the resource and the call did not wait at all (D3)
 * @param operation {@code SimpleClassName#method}
 */
public record LockSkipped(String resourceId, String clientId, Duration timeout, String operation)
        implements LockEvent {}
