package io.dlm.backend.zookeeper;

import io.dlm.LockError;
import io.dlm.LockException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.curator.framework.api.BackgroundCallback;
import org.apache.curator.framework.api.CuratorEvent;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.jspecify.annotations.Nullable;

/**
 * Runs ZooKeeper steps through Curator's background API and waits for each reply no longer than
 * what is left of the backend call's deadline, so that every call ends within
 * {@code dlm.operation.timeout} (X1), even while the ensemble is unreachable.
 *
 * <p>Curator's own retry policy is off (see {@link CuratorClients}): a step is retried here, after
 * a lost connection or an expired session, at most {@code dlm.zookeeper.retry.max-retries} times
 * with a doubling pause, and only while time is left. Every step of this backend is safe to repeat
 * or tells the caller when an earlier attempt may have been applied ({@link Reply#maybeAppliedBefore}).
 */
final class ZooKeeperCalls {

    /** Submits one step to Curator with the callback that completes it. */
    @FunctionalInterface
    interface Step {
        void submit(BackgroundCallback callback) throws Exception;
    }

    /**
     * The reply to a step.
     *
     * @param event Curator's event: result code, data, stat, transaction results
     * @param receivedNanos {@link System#nanoTime()} when it came back
     * @param maybeAppliedBefore whether an earlier attempt lost its connection after it may have
     *     reached the server, so that its effect may show in this reply (a node already there or
     *     already gone)
     */
    record Reply(CuratorEvent event, long receivedNanos, boolean maybeAppliedBefore) {
        Code code() {
            return Code.get(event.getResultCode());
        }

        boolean ok() {
            return event.getResultCode() == Code.OK.intValue();
        }
    }

    private record Received(CuratorEvent event, long nanos) {}

    private final long timeoutNanos;
    private final int maxRetries;
    private final long baseSleepNanos;

    ZooKeeperCalls(Duration operationTimeout, int maxRetries, Duration retryBaseSleep) {
        this.timeoutNanos = operationTimeout.toNanos();
        this.maxRetries = maxRetries;
        this.baseSleepNanos = retryBaseSleep.toNanos();
    }

    /**
     * The operation timeout.
     *
     * @return {@code dlm.operation.timeout} in nanoseconds
     */
    long timeoutNanos() {
        return timeoutNanos;
    }

    /**
     * The deadline of a backend call starting now.
     *
     * @return a {@link System#nanoTime()} value
     */
    long deadline() {
        return System.nanoTime() + timeoutNanos;
    }

    /**
     * Runs a step whose caller stops waiting when interrupted (X2).
     *
     * @param what the step, for messages
     * @param path its node, for messages
     * @param deadline from {@link #deadline()}
     * @param lateSuccess run with the reply if it succeeds after the caller stopped waiting, to
     *     undo what nobody will use; {@code null} if nothing needs undoing
     * @param step the submission
     * @return a reply whose code is {@code OK}, {@code NONODE}, {@code NODEEXISTS} or {@code BADVERSION}
     * @throws LockException {@code INTERNAL_ERROR} on any other outcome, with the cause
     */
    Reply interruptibly(
            String what, String path, long deadline, @Nullable Consumer<CuratorEvent> lateSuccess, Step step) {
        return run(what, path, deadline, true, lateSuccess, step);
    }

    /**
     * Runs a step to its end or the deadline, whatever interrupts come meanwhile; the interrupt
     * status is kept for the caller. Releases and renewals run so: an interrupted holder that
     * unlocks must not leave its lock behind.
     *
     * @see #interruptibly
     */
    Reply uninterruptibly(String what, String path, long deadline, Step step) {
        return run(what, path, deadline, false, null, step);
    }

    /**
     * Runs steps at once, each on its own path, and waits for their replies by one deadline: all
     * requests are on the wire before the first reply is awaited, so that many reads cost about
     * one round trip rather than one each. Each step then ends as in {@link #uninterruptibly},
     * retries included.
     *
     * @param what the steps, for messages
     * @param paths the node of each step
     * @param deadline from {@link #deadline()}, for all of them together
     * @param steps the submission of the step on a path
     * @return the replies, in the order of {@code paths}
     * @throws LockException {@code INTERNAL_ERROR} on the first step that fails or is late
     */
    List<Reply> allUninterruptibly(String what, List<String> paths, long deadline, Function<String, Step> steps) {
        List<Step> each = new ArrayList<>(paths.size());
        List<Handoff<Received>> sent = new ArrayList<>(paths.size());
        for (String path : paths) {
            Step step = steps.apply(path);
            each.add(step);
            sent.add(submit(what, path, step));
        }
        List<Reply> replies = new ArrayList<>(paths.size());
        for (int i = 0; i < paths.size(); i++) {
            replies.add(settle(what, paths.get(i), deadline, false, null, each.get(i), sent.get(i)));
        }
        return replies;
    }

    private Reply run(
            String what,
            String path,
            long deadline,
            boolean interruptible,
            @Nullable Consumer<CuratorEvent> lateSuccess,
            Step step) {
        return settle(what, path, deadline, interruptible, lateSuccess, step, submit(what, path, step));
    }

    private static Handoff<Received> submit(String what, String path, Step step) {
        Handoff<Received> reply = new Handoff<>();
        try {
            step.submit((client, event) -> reply.complete(new Received(event, System.nanoTime())));
        } catch (Exception e) {
            throw failure(what, path, e);
        }
        return reply;
    }

    /** Waits for the reply of a step already sent, and sends it again while that is worth it. */
    private Reply settle(
            String what,
            String path,
            long deadline,
            boolean interruptible,
            @Nullable Consumer<CuratorEvent> lateSuccess,
            Step step,
            Handoff<Received> firstReply) {
        boolean maybeApplied = false;
        Handoff<Received> reply = firstReply;
        for (int attempt = 0; ; attempt++) {
            if (attempt > 0) {
                reply = submit(what, path, step);
            }
            Received received = await(reply, what, path, deadline, interruptible, lateSuccess);
            Code code = Code.get(received.event.getResultCode());
            if (code == Code.OK || code == Code.NONODE || code == Code.NODEEXISTS || code == Code.BADVERSION) {
                return new Reply(received.event, received.nanos, maybeApplied);
            }
            KeeperException cause = KeeperException.create(code == null ? Code.SYSTEMERROR : code, shorten(path));
            if (!isTransient(code)) {
                throw failure(what, path, cause);
            }
            // A lost connection may have carried the request to the server first; an expired
            // session or a refused connection did not.
            maybeApplied |= code == Code.CONNECTIONLOSS || code == Code.OPERATIONTIMEOUT;
            if (attempt >= maxRetries || !pauseBeforeRetry(attempt, deadline, interruptible)) {
                throw failure(what, path, cause);
            }
        }
    }

    private static boolean isTransient(@Nullable Code code) {
        return code == Code.CONNECTIONLOSS
                || code == Code.OPERATIONTIMEOUT
                || code == Code.SESSIONEXPIRED
                || code == Code.SESSIONMOVED;
    }

    private Received await(
            Handoff<Received> reply,
            String what,
            String path,
            long deadline,
            boolean interruptible,
            @Nullable Consumer<CuratorEvent> lateSuccess) {
        Consumer<Received> undo = lateSuccess == null
                ? null
                : received -> {
                    if (received.event.getResultCode() == Code.OK.intValue()) {
                        lateSuccess.accept(received.event);
                    }
                };
        Received received;
        try {
            received = reply.await(deadline, interruptible);
        } catch (InterruptedException e) {
            reply.abandon(undo);
            Thread.currentThread().interrupt();
            throw new LockException(
                    LockError.INTERNAL_ERROR, "interrupted while waiting for ZooKeeper (" + what + ")", e);
        }
        if (received == null) {
            reply.abandon(undo);
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "no reply from ZooKeeper within dlm.operation.timeout (" + Duration.ofNanos(timeoutNanos) + ") to "
                            + what + " " + shorten(path),
                    new TimeoutException());
        }
        return received;
    }

    private boolean pauseBeforeRetry(int attempt, long deadline, boolean interruptible) {
        long pause = attempt >= 30 ? Long.MAX_VALUE : baseSleepNanos << attempt;
        long wakeAt = System.nanoTime() + Math.min(pause, Math.max(0, deadline - System.nanoTime()));
        if (wakeAt >= deadline) {
            return false;
        }
        boolean interrupted = false;
        try {
            for (long left; (left = wakeAt - System.nanoTime()) > 0; ) {
                try {
                    Thread.sleep(left / 1_000_000L, (int) (left % 1_000_000L));
                } catch (InterruptedException e) {
                    if (interruptible) {
                        // The caller sees the status set again (X2), as after every other wait.
                        Thread.currentThread().interrupt();
                        throw new LockException(
                                LockError.INTERNAL_ERROR, "interrupted while waiting to retry a ZooKeeper step", e);
                    }
                    interrupted = true;
                }
            }
            return true;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static LockException failure(String what, String path, Throwable cause) {
        return new LockException(
                LockError.INTERNAL_ERROR, "ZooKeeper failed to " + what + " " + shorten(path) + ": " + cause, cause);
    }

    /** Ids may make paths of thousands of chars; messages keep their start. */
    static String shorten(String path) {
        return path.length() <= 160 ? path : path.substring(0, 160) + "...(" + path.length() + " chars)";
    }
}
