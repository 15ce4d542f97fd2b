package io.dlm;

/**
 * Work run under a lock by {@link LockManager#withLock} (K5).
 *
 * @param <T> what the work returns
 * @param <E> what the work may throw
 */
@FunctionalInterface
public interface LockedWork<T, E extends Exception> {

    /**
     * Runs the work.
     *
     * @param lease the held lease: check {@link Lease#isValid()} before writes and send its
     *     {@link Lease#fencingToken()} with them (M3)
     * @return the result
     * @throws E what the work may throw
     */
    T run(Lease lease) throws E;
}
