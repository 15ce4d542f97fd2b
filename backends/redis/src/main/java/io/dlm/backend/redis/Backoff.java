package io.dlm.backend.redis;

import io.lettuce.core.RedisException;
import java.util.concurrent.TimeUnit;

/**
 * Pauses between attempts of a call that Lettuce refused to send, doubling from 5 ms up to 100 ms,
 * never past the call's deadline. One instance per call; not thread-safe.
 */
final class Backoff {

    /** How Lettuce words the refusal of a command it did not send (see {@link #wasNeverSent}). */
    private static final String NOT_CONNECTED = "Currently not connected";

    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long MAX_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private long pauseNanos = FIRST_PAUSE_NANOS;

    /**
     * Whether Lettuce refused the command before sending it: its connection (in a Cluster, the
     * connection to the slot's node) is not up yet or is being re-established. Only then is trying
     * again safe, as Redis cannot have seen the first attempt. Lettuce marks this case by its
     * message alone; the Cluster and restart tests notice if that ever changes.
     *
     * @param failure what the call failed with, unwrapped
     * @return whether the command never left this process
     */
    static boolean wasNeverSent(Throwable failure) {
        return failure instanceof RedisException
                && failure.getMessage() != null
                && failure.getMessage().startsWith(NOT_CONNECTED);
    }

    /**
     * Sleeps before the next attempt.
     *
     * @param deadlineNanos the {@link System#nanoTime()} by which the call must end
     * @return {@code false}, without sleeping, when the pause would pass the deadline or the thread
     *     is interrupted (its status is kept): the caller gives up then
     */
    boolean pauseBefore(long deadlineNanos) {
        if (deadlineNanos - System.nanoTime() <= pauseNanos) {
            return false;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(pauseNanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        pauseNanos = Math.min(pauseNanos * 2, MAX_PAUSE_NANOS);
        return true;
    }
}
