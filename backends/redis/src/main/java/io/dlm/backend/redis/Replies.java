package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * Waits for Redis replies, bounded by the operation timeout (X1), in a way that leaves the calling
 * thread's {@link java.util.concurrent.locks.LockSupport} permit alone.
 *
 * <p>Why not {@link CompletableFuture#get}: it parks with {@code LockSupport}, and the runtime
 * wakes a waiting thread with {@code LockSupport.unpark}. A release that unparks the head waiter
 * while that thread is blocked in {@code get} for its own acquisition attempt would have its
 * permit swallowed there; the waiter would then park until the holder's lease ran out, though the
 * lock was free (a lost wake-up, L4). A monitor wait uses a separate mechanism, so the permit
 * survives and the runtime's next park returns at once.
 *
 * <p>The wait is not interruptible either: the call is in flight, and giving up on an interrupt
 * would leave its outcome unknown, for example an acquisition made for a caller who was told it
 * failed (X2). The wait is short and bounded, and the interrupt status is restored afterwards.
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
        if (!future.isDone()) {
            Completion completion = new Completion();
            future.whenComplete(completion);
            completion.await(deadlineNanos);
        }
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
            return unwrap(e);
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

    /**
     * The failure inside the wrappers that futures add.
     *
     * @param failure what a future failed with
     * @return the innermost cause that is not a wrapper
     */
    static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** Signals a completed future through its monitor. */
    private static final class Completion implements BiConsumer<@Nullable Object, @Nullable Throwable> {
        private boolean done;

        @Override
        public synchronized void accept(@Nullable Object result, @Nullable Throwable failure) {
            done = true;
            notifyAll();
        }

        /** Waits until done or the deadline passed; keeps an interrupt for the caller to see. */
        synchronized void await(long deadlineNanos) {
            boolean interrupted = false;
            try {
                long left;
                while (!done && (left = deadlineNanos - System.nanoTime()) > 0) {
                    try {
                        wait(left / 1_000_000L, (int) (left % 1_000_000L));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
