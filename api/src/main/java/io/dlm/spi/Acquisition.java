package io.dlm.spi;

/**
 * The outcome of one {@link LockBackend#acquire} attempt.
 *
 * @param status what happened
 * @param fencingToken the token of the new lease when {@link Status#ACQUIRED}, else {@code 0}
 * @param remainingNanos when held, how long the current lease has left (an upper bound is fine);
 *     the runtime wakes a waiter by then at the latest to catch the expiry (L4)
 */
public record Acquisition(Status status, long fencingToken, long remainingNanos) {

    /** What an acquisition attempt found. */
    public enum Status {
        /** The caller now holds the lock. */
        ACQUIRED,
        /** Another client holds a live lease. */
        HELD,
        /** The calling client itself holds a live lease (L3). */
        HELD_BY_CALLER
    }

    /**
     * The caller got the lock.
     *
     * @param fencingToken the token of the new lease (F1)
     * @return the outcome
     */
    public static Acquisition acquired(long fencingToken) {
        return new Acquisition(Status.ACQUIRED, fencingToken, 0);
    }

    /**
     * Another client holds the lock.
     *
     * @param remainingNanos how long its lease has left
     * @return the outcome
     */
    public static Acquisition held(long remainingNanos) {
        return new Acquisition(Status.HELD, 0, remainingNanos);
    }

    /**
     * The calling client already holds the lock.
     *
     * @param remainingNanos how long its lease has left
     * @return the outcome
     */
    public static Acquisition heldByCaller(long remainingNanos) {
        return new Acquisition(Status.HELD_BY_CALLER, 0, remainingNanos);
    }

    /**
     * Tells whether the caller got the lock.
     *
     * @return {@code true} for {@link Status#ACQUIRED}
     */
    public boolean isAcquired() {
        return status == Status.ACQUIRED;
    }
}
