package io.dlm.spi;

import io.dlm.LockInfo;
import java.time.Duration;
import java.util.Optional;

/**
 * One lock space on one engine, as the runtime drives it. Every method is one atomic step on the
 * engine; the runtime has already checked the arguments (V1, V2) and computed the lease (E1).
 *
 * <p>Methods are called from many threads at once (M2). An engine failure is thrown as any
 * {@link RuntimeException} (ideally a {@link io.dlm.LockException}); the runtime maps the rest to
 * {@code INTERNAL_ERROR} (X1). Each call must end within {@link BackendContext#operationTimeout()}.
 */
public interface LockBackend extends AutoCloseable {

    /**
     * Takes the resource if it is free or its lease has expired (E2), never waiting.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param leaseNanos the lease length, positive and already clamped to {@code dlm.lease.max}; a
     *     backend with coarser granularity rounds it up (E1)
     * @return acquired with a fencing token greater than all before for this resource (F1), or who
     *     holds it
     */
    Acquisition acquire(String resourceId, String clientId, long leaseNanos);

    /**
     * Deletes the lease if {@code clientId} holds it and it is live (U1, U2, U4).
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @return whether a live lease of this client was released
     */
    boolean release(String resourceId, String clientId);

    /**
     * Resets the expiry of a live lease of {@code clientId} to now plus its lease length, in one
     * engine round trip at most (H1-H3). Never revives an expired lease.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @return whether a live lease was extended
     */
    boolean renew(String resourceId, String clientId);

    /**
     * Describes the live lease on the resource (I1).
     *
     * @param resourceId the resource
     * @return the holder, or empty when the resource is free or its lease expired
     */
    Optional<LockInfo> inspect(String resourceId);

    /**
     * The engine's lease granularity: leases are rounded up to a multiple of it (E1); etcd, for
     * example, counts whole seconds. The TCK widens its timings by it.
     *
     * @return a positive duration; {@code 1 ns} when leases are exact
     */
    default Duration leaseGranularity() {
        return Duration.ofNanos(1);
    }

    /**
     * Releases the locks acquired through this instance (best effort within the operation
     * timeout; what cannot be released expires by its lease), then frees its threads and
     * connections (C1). Called once by the runtime.
     */
    @Override
    void close();
}
