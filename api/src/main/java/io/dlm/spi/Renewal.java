package io.dlm.spi;

/**
 * One lease to renew in a {@link BatchRenewingLockBackend#renewAll batch}: the arguments of one
 * {@link LockBackend#renew(String, String, long)} call.
 *
 * @param resourceId the resource
 * @param clientId the holder
 * @param fencingToken the token of the acquisition to renew (K4); the runtime's keep-alive never
 *     sends {@link LockBackend#ANY_ACQUISITION}, but a backend treats it as {@code renew} does
 */
public record Renewal(String resourceId, String clientId, long fencingToken) {}
