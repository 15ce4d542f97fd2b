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
     * The fencing token that stands for "whichever acquisition {@code clientId} holds now" in
     * {@link #release} and {@link #renew}: the seed's {@code unlock} and {@code heartbeat} act by
     * resource and client. Backends issue tokens above zero only (F1), so it never names a real one.
     */
    long ANY_ACQUISITION = 0L;

    /** What {@link #confirmationValidity()} returns when only the lease ends a lock. */
    Duration UNBOUNDED = Duration.ofSeconds(Long.MAX_VALUE);

    /**
     * Takes the resource if it is free or its lease has expired (E2), never waiting.
     *
     * <p>The engine must record {@code attempt} with the lease, so that {@link #undo} can tell this
     * acquisition from any other of the same client (X5). The lease must last at least {@code
     * leaseNanos} measured from the moment this method was called: the runtime's local deadline
     * (K2) counts from then.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param leaseNanos the lease length, positive, clamped to {@code dlm.lease.max} and already
     *     rounded up to {@link #leaseGranularity()} (E1)
     * @param attempt the runtime's id of this acquisition attempt, unique per manager; never reused
     * @return acquired with a fencing token above zero and greater than all before for this
     *     resource (F1), or who holds it
     */
    Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt);

    /**
     * Deletes the lease if {@code clientId} holds it, it is live and, unless {@code fencingToken}
     * is {@link #ANY_ACQUISITION}, its token is {@code fencingToken} (U1, U2, U4, K4).
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param fencingToken the token of the acquisition to release, or {@link #ANY_ACQUISITION}
     * @return whether a live lease of this client (and token) was released
     */
    boolean release(String resourceId, String clientId, long fencingToken);

    /**
     * Resets the expiry of a live lease of {@code clientId} (with {@code fencingToken}, unless it is
     * {@link #ANY_ACQUISITION}) to now plus its lease length, in one engine round trip at most
     * (H1-H3, K4). Never revives an expired lease.
     *
     * @param resourceId the resource
     * @param clientId the holder
     * @param fencingToken the token of the acquisition to renew, or {@link #ANY_ACQUISITION}
     * @return whether a live lease was extended
     */
    boolean renew(String resourceId, String clientId, long fencingToken);

    /**
     * Undoes an acquisition whose outcome the runtime does not know (X5): {@link #acquire} failed
     * or timed out, but the engine may have applied it, or may still apply it later. Deletes the
     * lease only if it was made by {@code attempt}; never a lease the client held before or took
     * by another attempt. Best effort within the operation timeout; a request that cannot be
     * confirmed should still reach the engine after the one it undoes (for example, sent on the
     * same connection) where the engine allows. When the engine did not confirm the undo, throw
     * (e.g. {@code LockException(INTERNAL_ERROR)}): the runtime then tries again in the background
     * until it is confirmed or the lease it may have made has run out, because a slow engine may
     * still apply the acquisition after this call (N3). Undoing an attempt twice must be harmless.
     *
     * @param resourceId the resource
     * @param clientId the would-be holder
     * @param attempt the id given to the failed {@link #acquire}
     */
    void undo(String resourceId, String clientId, long attempt);

    /**
     * Describes the live lease on the resource (I1).
     *
     * @param resourceId the resource
     * @return the holder, or empty when the resource is free or its lease expired
     */
    Optional<LockInfo> inspect(String resourceId);

    /**
     * The engine's lease granularity: the runtime rounds leases up to a multiple of it before
     * {@link #acquire} (E1); etcd, for example, counts whole seconds. The TCK widens its timings by
     * it.
     *
     * @return a positive duration; {@code 1 ns} when leases are exact
     */
    default Duration leaseGranularity() {
        return Duration.ofNanos(1);
    }

    /**
     * How long, at most, one confirmation from the engine (an acquisition or a renewal) keeps a
     * lock certainly held, whatever its lease: for an engine that also ends locks on its own, as
     * ZooKeeper does when a session expires. The runtime's local deadline (K2) counts the shorter
     * of this and the lease from each confirmation, and its keep-alive (K1) renews often enough for
     * it, so that a holder paused past this bound finds its lease invalid on resuming.
     *
     * @return a positive duration; unbounded by default, when only the lease ends a lock
     */
    default Duration confirmationValidity() {
        return UNBOUNDED;
    }

    /**
     * Frees this instance's threads and connections (C1). Called once by the runtime, after it has
     * released, by token and within the operation timeout, every lock it acquired through this
     * instance and still believed held; a backend need not release them again. What could not be
     * released expires by its lease.
     */
    @Override
    void close();
}
