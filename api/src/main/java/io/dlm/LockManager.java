package io.dlm;

import java.time.Duration;
import java.util.Optional;

/**
 * A lock space: named resources that at most one client holds at a time, each under a lease that
 * expires unless it is heartbeated.
 *
 * <p>All methods are thread-safe (M2). Identifiers are opaque, non-empty strings of at most 1024
 * chars (V1); invalid arguments throw {@link IllegalArgumentException} naming the parameter and
 * change nothing (V2). A failure of the underlying engine throws {@link LockException} with
 * {@link LockError#INTERNAL_ERROR} within the wait plus {@code dlm.operation.timeout} (X1).
 *
 * <p>A lease alone cannot protect a resource from a holder that pauses past its expiry: hand the
 * {@linkplain Lease#fencingToken() fencing token} to the protected resource and let it reject
 * stale tokens (M3).
 */
public interface LockManager extends AutoCloseable {

    /**
     * Acquires {@code resourceId} for {@code clientId}, waiting up to {@code timeoutMillis} (L1-L4).
     *
     * <p>The lease lasts {@code max(dlm.lease.factor * timeoutMillis, dlm.lease.min)}, clamped to
     * {@code dlm.lease.max} (E1, V3). A timeout of {@code 0} tries once; {@link Long#MAX_VALUE}
     * waits as long as it takes (V3). Waiters are served first come, first served, and a newcomer
     * never overtakes a queued waiter (L2).
     *
     * @param resourceId the resource to lock (V1)
     * @param clientId the client that will hold it (V1)
     * @param timeoutMillis how long to wait, in milliseconds, not negative (V2)
     * @return {@code true} if the client now holds the lock, {@code false} if the time ran out
     * @throws LockException {@link LockError#RESOURCE_LOCKED} at once if {@code clientId} already
     *     holds the resource (L3); {@link LockError#INTERNAL_ERROR} on engine failure (X1), on
     *     interrupt (X2) or when the manager is closed while waiting (C1)
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    boolean lock(String resourceId, String clientId, long timeoutMillis);

    /**
     * Releases {@code resourceId} if {@code clientId} holds a live lease on it (U1-U4).
     *
     * @param resourceId the resource to release (V1)
     * @param clientId the client that holds it (V1)
     * @return {@code true} if the lock was held by the client and is now released; {@code false}
     *     if it was free, held by another client or expired, in which case nothing changed (U2)
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure; the call may be
     *     retried safely (U4)
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    boolean unlock(String resourceId, String clientId);

    /**
     * Extends the live lease of {@code clientId} on {@code resourceId} to now plus its lease
     * length (H1-H3). An expired lease is never revived.
     *
     * @param resourceId the locked resource (V1)
     * @param clientId the client that holds it (V1)
     * @return {@code true} if the lease was live and is extended, {@code false} otherwise (H2)
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure (X1)
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    boolean heartbeat(String resourceId, String clientId);

    /**
     * Acquires {@code resourceId} like {@link #lock} with {@code wait} as the timeout and a lease
     * of {@code leaseTime}, and returns the held lock as a {@link Lease} (A1, F1).
     *
     * @param resourceId the resource to lock (V1)
     * @param clientId the client that will hold it (V1)
     * @param wait how long to wait, not negative (V2)
     * @param leaseTime the lease length, positive, clamped to {@code dlm.lease.max} (V2, V3)
     * @return the lease, or empty if the time ran out
     * @throws LockException as {@link #lock}
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime);

    /**
     * Runs {@code work} while holding {@code resourceId}: acquires it (waiting up to {@code wait}),
     * keeps the lease alive, runs the work with the {@link Lease} and releases it, whatever the
     * work does (K5). The programmatic twin of {@code @DistributedLock}.
     *
     * @param resourceId the resource to lock (V1)
     * @param clientId the client that will hold it (V1)
     * @param wait how long to wait, not negative (V2)
     * @param leaseTime the lease length, positive, clamped to {@code dlm.lease.max} (V2, V3)
     * @param work what to run under the lock
     * @param <T> what the work returns
     * @param <E> what the work may throw
     * @return what the work returned
     * @throws E what the work threw; if the lease was also lost, with a {@link LockException} of
     *     {@link LockError#LOCK_NOT_HELD} added as suppressed
     * @throws LockException {@link LockError#RESOURCE_LOCKED} when the lock was not acquired in time
     *     (the work did not run); {@link LockError#LOCK_NOT_HELD} when the lease was lost while the
     *     work ran; {@link LockError#INTERNAL_ERROR} as {@link #lock}
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    default <T, E extends Exception> T withLock(
            String resourceId, String clientId, Duration wait, Duration leaseTime, LockedWork<T, E> work) throws E {
        return withLock(resourceId, clientId, wait, leaseTime, Duration.ZERO, work);
    }

    /**
     * Runs {@code work} like {@link #withLock(String, String, Duration, Duration, LockedWork)}, and
     * keeps the lock after the work returns until at least {@code holdAtLeast} after it was
     * acquired (S2). The caller is not held up: the manager keeps the lease alive meanwhile and
     * releases it in the background once that time has passed. Work that threw is held on as
     * well (a failed run of a job is a run); work that took longer than {@code holdAtLeast}
     * releases at once as usual. With a {@code wait} of zero this makes a
     * job fired on several nodes at slightly different times run once per firing.
     *
     * @param resourceId the resource to lock (V1)
     * @param clientId the client that will hold it (V1)
     * @param wait how long to wait, not negative (V2)
     * @param leaseTime the lease length, positive, clamped to {@code dlm.lease.max} (V2, V3)
     * @param holdAtLeast how long after the acquisition the lock stays held at least, not negative;
     *     zero releases at once
     * @param work what to run under the lock
     * @param <T> what the work returns
     * @param <E> what the work may throw
     * @return what the work returned
     * @throws E as {@link #withLock(String, String, Duration, Duration, LockedWork)}
     * @throws LockException as {@link #withLock(String, String, Duration, Duration, LockedWork)}
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    <T, E extends Exception> T withLock(
            String resourceId,
            String clientId,
            Duration wait,
            Duration leaseTime,
            Duration holdAtLeast,
            LockedWork<T, E> work)
            throws E;

    /**
     * Campaigns for leadership of {@code resourceId} in the background (S3): the campaign waits
     * for the lock, keeps its lease alive while it holds it and tells {@code listener}; when the
     * lease is lost it tells the listener and campaigns again, until the returned {@link
     * Leadership} is closed. Engine failures while campaigning are retried; they never reach the
     * caller.
     *
     * @param resourceId the resource that stands for the leadership (V1)
     * @param clientId this campaigner's client id (V1); campaigners must use different ones
     * @param leaseTime the lease length, positive, clamped to {@code dlm.lease.max} (V2, V3); a
     *     leader that stops (a crash, a pause) is replaced about this long after its last renewal
     * @param listener told when this campaigner is elected and revoked, not {@code null}
     * @return the running campaign
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    Leadership lead(String resourceId, String clientId, Duration leaseTime, LeadershipListener listener);

    /**
     * Describes the live holder of {@code resourceId} (I1).
     *
     * @param resourceId the resource to look at (V1)
     * @return the holder, its fencing token and remaining lease, or empty if the resource is free
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure (X1)
     * @throws IllegalArgumentException for an invalid argument (V2)
     * @throws IllegalStateException after {@link #close()} (C1)
     */
    Optional<LockInfo> inspect(String resourceId);

    /**
     * What this manager last heard from its engine (O2): when the engine last answered one of its
     * calls (operations and background renewals alike), and since when its calls have failed.
     * Reading it never calls the engine, so a health probe may ask as often as it likes; a
     * manager with nothing to do learns nothing new, and says so by the age of its last answer.
     *
     * @return the manager's last contact with its engine; {@link EngineContact#unknown()} for an
     *     implementation that does not track it
     */
    default EngineContact engineContact() {
        return EngineContact.unknown();
    }

    /**
     * Closes this manager (C1): resigns its {@link Leadership} campaigns and releases the locks
     * that {@code holdAtLeast} still keeps (S2, S3), wakes waiting threads with {@link LockError#INTERNAL_ERROR},
     * releases the locks held through it (best effort within {@code dlm.operation.timeout}), and
     * stops its threads and connections. Idempotent; every later call except {@code close} throws
     * {@link IllegalStateException}.
     */
    @Override
    void close();
}
