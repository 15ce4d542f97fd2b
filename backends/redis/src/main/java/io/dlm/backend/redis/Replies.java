package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.ReplyWait;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Waits for Redis replies, bounded by the operation timeout (X1).
 *
 * <p>The wait is not interruptible: the call is in flight, and giving up on an interrupt would
 * leave its outcome unknown, for example an acquisition made for a caller who was told it failed
 * (X2). The wait is short and bounded, and the interrupt status is restored afterwards.
 *
 * <p>The waiting itself is the SPI's {@link ReplyWait}, as in every backend.
 */
final class Replies {

    private Replies() {}

    /**
     * Waits for a reply.
     *
     * @param future the pending reply
     * @param timeout how long it may take
     * @param what the operation, for the error message
     * @return the reply
     * @throws LockException with {@code INTERNAL_ERROR} and the cause when it failed or is late
     */
    static <T> T await(CompletableFuture<T> future, Duration timeout, String what) {
        awaitDone(future, System.nanoTime() + timeout.toNanos());
        if (!future.isDone()) {
            future.cancel(false);
            throw late(what, timeout);
        }
        Throwable failure = failureOf(future);
        if (failure != null) {
            throw failed(what, failure);
        }
        return future.join();
    }

    /**
     * Waits until the future is done or the deadline has passed, whichever comes first.
     *
     * @param future the pending reply
     * @param deadlineNanos a {@link System#nanoTime()} instant
     */
    static void awaitDone(CompletableFuture<?> future, long deadlineNanos) {
        ReplyWait.awaitUninterruptibly(future, deadlineNanos);
    }

    /**
     * What a done future failed with.
     *
     * @param future a completed future
     * @return the unwrapped failure, or {@code null} if it succeeded
     */
    static @Nullable Throwable failureOf(CompletableFuture<?> future) {
        if (!future.isCompletedExceptionally()) {
            return null;
        }
        try {
            future.join();
            return null;
        } catch (CompletionException | CancellationException e) {
            return ReplyWait.failureOf(e);
        }
    }

    /**
     * The error for a call that failed.
     *
     * @param what the operation
     * @param cause why
     * @return a {@code LockException} with {@code INTERNAL_ERROR} and the cause (X1)
     */
    static LockException failed(String what, Throwable cause) {
        return new LockException(LockError.INTERNAL_ERROR, "Redis failed the " + what + ": " + cause, cause);
    }

    /**
     * The error for a call that took too long.
     *
     * @param what the operation
     * @param timeout how long it was given
     * @return a {@code LockException} with {@code INTERNAL_ERROR} (X1)
     */
    static LockException late(String what, Duration timeout) {
        return new LockException(
                LockError.INTERNAL_ERROR,
                "Redis did not answer the " + what + " within " + timeout,
                new TimeoutException("no reply within " + timeout));
    }
}
