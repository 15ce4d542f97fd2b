package io.dlm;

import java.util.List;
import java.util.Optional;

/**
 * An operator's view of one backend's lock space (O4): looks at locks without taking them, and
 * breaks them when told to. Opened by {@link LockManagers#admin}; it holds no locks of its own.
 *
 * <p>Arguments are checked as for {@link LockManager} (V1, V2): an invalid one throws {@link
 * IllegalArgumentException} naming it and changes nothing. An engine failure throws {@link
 * LockException} with {@link LockError#INTERNAL_ERROR} within {@code dlm.operation.timeout} (X1).
 * Listing and breaking are optional capabilities of a backend ({@link io.dlm.spi.EnumeratingLockBackend},
 * {@link io.dlm.spi.BreakingLockBackend}); without one, the method throws {@link
 * UnsupportedOperationException} naming the backend and the operation, before it asks the engine.
 */
public interface LockAdmin extends AutoCloseable {

    /**
     * The backend this admin works on.
     *
     * @return its provider name, e.g. {@code redis}
     */
    String backend();

    /**
     * Describes the live lease on a resource (I1), as {@link LockManager#inspect} does.
     *
     * @param resourceId the resource (V1)
     * @return the holder, its token and remaining lease, or empty when the resource is free
     */
    Optional<LockInfo> inspect(String resourceId);

    /**
     * Tells whether {@link #list} works on this backend.
     *
     * @return whether the backend can enumerate its locks
     */
    boolean canList();

    /**
     * Lists live locks whose resource id starts with {@code prefix}, sorted by resource id (see
     * {@link io.dlm.spi.EnumeratingLockBackend#list}).
     *
     * @param prefix the start of the ids to list, empty for all; at most 1024 chars, no unpaired
     *     surrogate (V1)
     * @param limit how many locks to return at most, positive
     * @return at most {@code limit} live locks
     * @throws UnsupportedOperationException when the backend cannot enumerate its locks
     */
    List<LockInfo> list(String prefix, int limit);

    /**
     * Tells whether {@link #forceRelease} works on this backend.
     *
     * @return whether the backend can break locks
     */
    boolean canForceRelease();

    /**
     * Breaks the lock on a resource whoever holds it (see {@link
     * io.dlm.spi.BreakingLockBackend#forceRelease}): waiters are woken, the former holder's
     * unlock and heartbeat return {@code false}, and the next acquisition gets a larger fencing
     * token (F1), so a store that checks tokens refuses the former holder's writes.
     *
     * @param resourceId the resource (V1)
     * @return the lease that was removed, or empty when the resource was free
     * @throws UnsupportedOperationException when the backend cannot break locks
     */
    Optional<LockInfo> forceRelease(String resourceId);

    /**
     * Closes the backend's connections and threads; idempotent. Any other call after it throws
     * {@link IllegalStateException}.
     */
    @Override
    void close();
}
