package io.dlm.backend.etcd;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.ReplyWait;
import io.etcd.jetcd.common.exception.EtcdException;
import io.grpc.Status;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;

/**
 * The time one backend operation may spend on etcd, all its calls together ({@code
 * dlm.operation.timeout}, X1). Every wait for a reply goes through {@link #await}, so an operation
 * never outlasts its budget, whatever the network or the cluster does.
 */
final class OperationBudget {

    private static final Runnable NOTHING = () -> {};

    private final Duration timeout;
    private final long deadlineNanos;
    private final Runnable onUnanswered;

    private OperationBudget(Duration timeout, Runnable onUnanswered) {
        this.timeout = timeout;
        this.deadlineNanos = System.nanoTime() + timeout.toNanos();
        this.onUnanswered = onUnanswered;
    }

    /**
     * Starts the clock for one operation.
     *
     * @param timeout the whole operation's budget
     * @return the running budget
     */
    static OperationBudget start(Duration timeout) {
        return new OperationBudget(timeout, NOTHING);
    }

    /**
     * Starts the clock for one operation whose unanswered calls are reported (N1).
     *
     * @param timeout the whole operation's budget
     * @param onUnanswered told when a call went unanswered until the budget or its gRPC deadline
     *     ran out, e.g. {@link ReplaceableClient#suspectStall()}; must not block
     * @return the running budget
     */
    static OperationBudget start(Duration timeout, Runnable onUnanswered) {
        return new OperationBudget(timeout, onUnanswered);
    }

    /**
     * Waits for a reply within what is left of the budget.
     *
     * @param reply the pending call
     * @param what the call, for the error message
     * @param <T> the reply type
     * @return the reply
     * @throws LockException {@code INTERNAL_ERROR} with the cause when the call failed or the
     *     budget ran out
     */
    <T> T await(CompletableFuture<T> reply, String what) {
        // Not interruptible: the request is on its way, and giving up on an interrupt would leave
        // its outcome unknown (a release or a close's revocation not done, X5, C1). The wait is
        // bounded; the interrupt status stays set for the runtime to act on (X2).
        if (!ReplyWait.awaitUninterruptibly(reply, deadlineNanos)) {
            onUnanswered.run();
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "etcd did not " + what + " within the operation timeout (" + timeout + ")",
                    new TimeoutException());
        }
        try {
            return reply.join();
        } catch (CompletionException | CancellationException e) {
            Throwable cause = ReplyWait.failureOf(e);
            if (ReplaceableClient.isTimeout(cause)) {
                onUnanswered.run();
            }
            throw new LockException(LockError.INTERNAL_ERROR, "etcd failed to " + what + ": " + cause, cause);
        }
    }

    /**
     * The error of a call that was not awaited but chained (an asynchronous renewal), worded like
     * {@link #await}'s.
     *
     * @param timeout the operation timeout the call was bounded by
     * @param what the call, for the error message
     * @param failure how the call's stage failed, possibly wrapped
     * @return {@code INTERNAL_ERROR} with the cause
     */
    static LockException failed(Duration timeout, String what, Throwable failure) {
        Throwable cause = ReplyWait.failureOf(failure);
        if (cause instanceof LockException known) {
            return known;
        }
        if (cause instanceof TimeoutException) {
            return new LockException(
                    LockError.INTERNAL_ERROR,
                    "etcd did not " + what + " within the operation timeout (" + timeout + ")",
                    cause);
        }
        return new LockException(LockError.INTERNAL_ERROR, "etcd failed to " + what + ": " + cause, cause);
    }

    /**
     * Tells whether a failure means that the lease named in the request no longer exists.
     *
     * @param failure a failure of a call, possibly wrapped
     * @return whether etcd answered "requested lease not found"
     */
    static boolean isLeaseNotFound(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof EtcdException etcd
                    && etcd.getErrorCode() == io.etcd.jetcd.common.exception.ErrorCode.NOT_FOUND) {
                return true;
            }
            if (Status.fromThrowable(t).getCode() == Status.Code.NOT_FOUND) {
                return true;
            }
        }
        return false;
    }
}
