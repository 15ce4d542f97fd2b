package io.dlm.spi;

import io.dlm.LockInfo;
import java.util.Optional;

/**
 * A backend that can break a lock, whoever holds it, for operators (O4: {@code dlm release
 * --force}). Optional: tools report a backend without it as unable to force a release.
 *
 * <p>Breaking a lock is safe only with fencing (F1): the holder it is taken from may still act on
 * the resource until it notices, so the store it writes to must refuse tokens older than the
 * newest it has seen. The contract below makes that work: the next acquisition of the resource
 * gets a larger token than the broken one.
 */
public interface BreakingLockBackend extends LockBackend {

    /**
     * Ends whatever acquisition holds the resource now, in one atomic step with reading it: the
     * lease returned is the one removed, never a later one. Afterwards:
     *
     * <ul>
     *   <li>the resource is free; waiters are woken as by a release (U3, L4);
     *   <li>the former holder's {@link #release} and {@link #renew} return {@code false}, as for an
     *       expired lease (U2, H2), and a kept-alive lease of it is reported lost (K3) at its next
     *       renewal;
     *   <li>the next acquisition of the resource gets a fencing token strictly greater than the
     *       broken one's (F1).
     * </ul>
     *
     * The runtime has checked the argument (V1).
     *
     * @param resourceId the resource
     * @return the lease that was removed, or empty when the resource was free (nothing changed)
     */
    Optional<LockInfo> forceRelease(String resourceId);
}
