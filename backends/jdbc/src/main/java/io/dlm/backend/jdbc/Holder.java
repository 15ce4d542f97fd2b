package io.dlm.backend.jdbc;

import io.dlm.spi.Acquisition;
import java.util.Arrays;

/**
 * The live lease on a resource, as one row of the lock table shows it.
 *
 * @param clientId the holder's client id in UTF-8
 * @param fencingToken the lease's token
 * @param remainingMicros how long the lease has left by the database's clock, positive
 */
record Holder(byte[] clientId, long fencingToken, long remainingMicros) {

    /** Marks a holder that the caller's own acquisition just created. */
    private static final long WON = Long.MIN_VALUE;

    /**
     * The lease an acquisition just took.
     *
     * @param clientId the caller
     * @param fencingToken its new token
     * @return a holder whose {@link #outcome} is "acquired"
     */
    static Holder won(byte[] clientId, long fencingToken) {
        return new Holder(clientId, fencingToken, WON);
    }

    /**
     * The outcome of an acquisition that found or made this lease.
     *
     * @param caller the would-be holder's client id in UTF-8
     * @return acquired, held by the caller (L3), or held by another
     */
    Acquisition outcome(byte[] caller) {
        return remainingMicros == WON ? Acquisition.acquired(fencingToken) : refuse(caller);
    }

    /**
     * The outcome of an acquisition that found this lease: held by the caller (L3) or by another.
     *
     * @param caller the would-be holder's client id in UTF-8
     * @return the outcome for the runtime
     */
    Acquisition refuse(byte[] caller) {
        long remaining = remainingNanos();
        return Arrays.equals(clientId, caller) ? Acquisition.heldByCaller(remaining) : Acquisition.held(remaining);
    }

    /**
     * The remaining lease in nanoseconds, at least 1 so that the runtime's wake-up is never "now or
     * never".
     *
     * @return positive nanoseconds, saturated
     */
    long remainingNanos() {
        if (remainingMicros <= 0) {
            return 1;
        }
        return remainingMicros >= Long.MAX_VALUE / 1_000 ? Long.MAX_VALUE : remainingMicros * 1_000;
    }
}
