package io.dlm.spi;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * How a backend waits for an engine's reply within an operation's deadline (X1), written once for
 * every backend.
 *
 * <p>The wait parks the calling thread on a latch of its own that the reply's completion opens. It
 * does not call the future's {@code get}: on a fork-join worker, {@code get} may first run other
 * queued asynchronous tasks on the caller's thread (JDK 25 does), which could stretch a lock call
 * past its operation timeout with the application's work, and once the reply has come it runs
 * the reply's other callbacks on the caller's thread. A latch also lets a virtual thread leave its
 * carrier while the engine answers, which a monitor wait does not on JDK 21 to 23.
 *
 * <p>Each wait that finds the reply pending hangs one small callback on it until it completes. A
 * future that is awaited many times while it stays pending (a subscription's, say) therefore
 * wants a latch of its own, made once.
 *
 * <p>Parking may use up a wake-up that the runtime sent the calling thread while its call was on
 * the wire (a waiter told that the lock was released). The runtime keeps a wake-up flag of its own
 * for that reason, so a backend need not protect the thread's park permit.
 *
 * <p>Once the reply has come, {@link #failureOf} finds what a failed one failed with.
 */
public final class ReplyWait {

    private ReplyWait() {}

    /**
     * Waits until the reply has come or the deadline has passed. An interrupt ends the wait.
     *
     * @param reply the pending reply
     * @param deadlineNanos a {@link System#nanoTime()} instant
     * @return whether the reply has come
     * @throws InterruptedException if the thread is interrupted while the reply is still pending;
     *     its status is then cleared, as by any blocking call
     */
    public static boolean await(CompletableFuture<?> reply, long deadlineNanos) throws InterruptedException {
        if (reply.isDone()) {
            return true;
        }
        long left = deadlineNanos - System.nanoTime();
        return left > 0 && latchOn(reply).await(left, TimeUnit.NANOSECONDS);
    }

    /**
     * Waits until the reply has come or the deadline has passed, whatever interrupts come
     * meanwhile: a call in flight whose outcome is left unknown is worse than a short wait (X2, X5).
     * The interrupt status is set again before it returns.
     *
     * @param reply the pending reply
     * @param deadlineNanos a {@link System#nanoTime()} instant
     * @return whether the reply has come
     */
    public static boolean awaitUninterruptibly(CompletableFuture<?> reply, long deadlineNanos) {
        if (reply.isDone()) {
            return true;
        }
        // One latch for the whole wait: an interrupt must not hang another callback on the reply.
        CountDownLatch done = latchOn(reply);
        boolean interrupted = false;
        try {
            for (long left; (left = deadlineNanos - System.nanoTime()) > 0; ) {
                try {
                    return done.await(left, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return reply.isDone();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * The failure inside the wrappers that futures put around it. A reply's failure reaches a
     * backend wrapped, in a {@link CompletionException} from {@code join} or from a stage chained
     * on the reply, in an {@link ExecutionException} from {@code get}, and sometimes several deep;
     * the backend needs what is inside to tell what went wrong (a timeout, an error of the
     * engine's, a {@code LockException} of its own) and to name it in the error it reports.
     *
     * @param failure what a future or one of its stages failed with
     * @return the outermost cause that is not such a wrapper; a wrapper without a cause is returned
     *     as it is
     */
    public static Throwable failureOf(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static CountDownLatch latchOn(CompletableFuture<?> reply) {
        CountDownLatch done = new CountDownLatch(1);
        reply.whenComplete((value, failure) -> done.countDown());
        return done;
    }
}
