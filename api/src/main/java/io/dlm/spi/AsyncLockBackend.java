package io.dlm.spi;

import java.util.concurrent.CompletionStage;

/**
 * A backend that can renew a lease without blocking a thread (K1): Lettuce, jetcd and Curator
 * answer through callbacks. The runtime keeps any number of leases alive on one scheduler thread
 * through it; a backend without it is renewed on a small pool of blocking calls instead.
 */
public interface AsyncLockBackend extends LockBackend {

    /**
     * Sends a renewal like {@link #renew(String, String, long)} and returns at once.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param fencingToken the token of the acquisition to renew (never {@link #ANY_ACQUISITION}
     *     from the runtime's keep-alive)
     * @return a stage completed with whether the live lease was extended, or exceptionally on an
     *     engine failure; it must complete within the operation timeout, and its completion must
     *     not block (the runtime's handler is short and never blocks either)
     */
    CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken);
}
