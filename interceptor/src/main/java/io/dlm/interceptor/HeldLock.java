package io.dlm.interceptor;

/**
 * A lock that a running {@link io.dlm.interceptor.DistributedLock} method holds.
 *
 * @param resourceId the locked resource, with its template resolved (D2)
 * @param clientId the client id of this invocation; each invocation is its own client (D2)
 * @param fencingToken the token of this acquisition: hand it to the protected resource so that it
 *     rejects writes of older holders (F1, M3)
 */
public record HeldLock(String resourceId, String clientId, long fencingToken) {}
