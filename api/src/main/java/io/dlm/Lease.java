package io.dlm;

/**
 * A held lock as one object, returned by {@link LockManager#tryAcquire} (A1).
 *
 * <p>Use it in try-with-resources: {@link #close()} releases the lock and never throws for a lock
 * that was already lost. Hand {@link #fencingToken()} to the resource the lock protects (M3).
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
     * Extends the lease; same as {@link LockManager#heartbeat(String, String)} (H1-H3).
     *
     * @return {@code true} if the lease was live and is extended
     * @throws LockException {@link LockError#INTERNAL_ERROR} on engine failure
     * @throws IllegalStateException after the manager was closed (C1)
     */
    boolean renew();

    /**
     * Releases the lock; same as {@link LockManager#unlock(String, String)} (U1-U4).
     *
     * @return {@code true} if the lease was live and is now released
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
}
