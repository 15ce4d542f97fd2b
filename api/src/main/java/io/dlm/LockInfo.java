package io.dlm;

import java.time.Duration;

/**
 * A snapshot of a held lock, as {@link LockManager#inspect(String)} sees it (I1).
 *
 * @param resourceId the locked resource
 * @param clientId the client that holds it
 * @param fencingToken the token of the holder's acquisition (F1)
 * @param remaining how long the lease has left, exact to the backend's granularity
 */
public record LockInfo(String resourceId, String clientId, long fencingToken, Duration remaining) {}
