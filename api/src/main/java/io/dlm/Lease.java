package io.dlm;

import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * One acquisition of a lock as one object, returned by {@link LockManager#tryAcquire} (A1) and
 * handed to {@link LockManager#withLock} work (K5).
 *
 * <p>Use it in try-with-resources: {@link #close()} releases the lock and never throws for a lock
 * that was already lost. Hand {@link #fencingToken()} to the resource the lock protects (M3).
 *
 * <p>A lease acts only on the acquisition it stands for (K4): once it expired and the same client
 * acquired the resource again, this object's {@link #renew()} and {@link #release()} return
 * {@code false} and leave the new acquisition alone. {@link #keepAlive()} lets the manager renew
 * it (K1); {@link #isValid()} tells, by a local clock, whether it is still certainly held (K2); and
 * {@link #lost()} completes as soon as it is known to be lost (K3).
 */
public interface Lease extends AutoCloseable {

    /**
     * Names the locked resource.
     *
     * @return the resource id this lease holds
     */
    String resourceId();

    /**
     * Names the holder.
     *
     * @return the client id that holds this lease
     */
    String clientId();

    /**
     * The fencing token of this acquisition: strictly greater than every token issued before for
     * the same resource by the same backend (F1).
     *
     * @return the fencing token
     */
    long fencingToken();

    /**
     * Extends this acquisition's lease, like {@link LockManager#heartbeat(String, String)} but only
     * for this acquisition (H1-H3, K4). A refusal marks the lease lost (K3).
     *
     * @return {@code true} if this acquisition's lease was live and is extended
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure
     * @throws IllegalStateException after the manager was closed (C1)
     */
    boolean renew();

    /**
     * Stops any keep-alive and releases this acquisition, like {@link LockManager#unlock(String,
     * String)} but only for this acquisition (U1-U4, K4). A refusal means the lease was already
     * lost, and {@link #lost()} completes if it had not.
     *
     * @return {@code true} if this acquisition's lease was live and is now released
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure
     * @throws IllegalStateException after the manager was closed (C1)
     */
    boolean release();

    /**
     * Releases the lock like {@link #release()}; a lease that was already lost or released is not
     * an error here, and after the manager was closed this does nothing (C1).
     */
    @Override
    void close();

    /**
     * Lets the manager renew this lease every {@code dlm.heartbeat.interval} (default a third of
     * the lease) until it is released or lost, or the manager closes (K1). Idempotent.
     *
     * @return this lease
     * @throws IllegalStateException after the manager was closed (C1)
     */
    Lease keepAlive();

    /**
     * Tells whether the lease is certainly still held: true until its local deadline, the instant
     * the request that acquired it or the last confirmed renewal was sent plus the lease length,
     * less {@code dlm.lease.drift} (K2). False once released or lost, and after the manager closed.
     * Check it right before each write to the protected resource, and send the fencing token with
     * the write anyway (M3).
     *
     * @return whether the lease is valid now
     */
    boolean isValid();

    /**
     * The time left to the local deadline (K2).
     *
     * @return a positive duration while {@link #isValid()}, else {@link Duration#ZERO}
     */
    Duration remaining();

    /**
     * Releases this lease in the background once it has been held at least {@code holdAtLeast}
     * since it was acquired, keeping it alive until then (S2); at once when that time has passed.
     * The caller is not held up. Like {@link #release()} it acts on this acquisition only (K4): a
     * lease lost meanwhile is left alone. The manager's {@code close()} releases it early (C1).
     *
     * @param holdAtLeast how long after the acquisition the lock stays held at least, not negative
     * @return completes with what {@link #release()} returned, or with {@code false} when the
     *     release failed (the lock then expires by its lease, X1)
     * @throws IllegalArgumentException when {@code holdAtLeast} is {@code null} or negative
     * @throws IllegalStateException after the manager's {@code close()} (C1)
     */
    CompletionStage<Boolean> releaseAfterHolding(Duration holdAtLeast);

    /**
     * Completes once, normally, with a {@link LockException} of {@link LockError#LOCK_NOT_HELD}
     * when this lease is lost: a renewal was refused, the local deadline passed without a
     * confirmed renewal, or the engine reported the lease gone, whichever comes first (K3).
     * Never completes after a normal release. Callbacks never run on a thread that renews leases.
     *
     * @return the stage of the loss
     */
    CompletionStage<LockException> lost();
}
