package io.dlm.backend.redis;

import io.dlm.LockException;
import io.dlm.backend.redis.LockScripts.Script;
import io.dlm.spi.ReplyWait;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.netty.util.Timeout;
import io.netty.util.Timer;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Runs the {@link LockScripts} in one round trip each: {@code EVALSHA}, and only when the server
 * answers {@code NOSCRIPT} (first use, a restart, {@code SCRIPT FLUSH}, another Cluster node) the
 * full {@code EVAL}, which also caches the script for the next call (H3).
 *
 * <p>A call that Lettuce refuses to send because its connection is (re)connecting is tried again,
 * with a short pause, until the operation timeout: that rides out a Cluster node's connection being
 * opened on first use and a brief reconnect, and is safe because Redis never saw the refused
 * attempt. A call that was sent and then failed or went unanswered is never repeated (X1, X4).
 *
 * <p>Every call goes out on the one command connection, and Redis applies the commands of one
 * connection in the order they were written. An undo (X5) relies on that to land behind the
 * acquisition it undoes, even one that Redis applies after its caller gave up. So once a caller
 * has given up on a call, the call sends nothing more: its {@code EVAL} fallback, which would
 * otherwise go out when {@code NOSCRIPT} arrives, possibly after the undo, is dropped.
 */
final class ScriptRunner {

    private final Supplier<RedisScriptingAsyncCommands<String, String>> commands;
    private final Duration timeout;
    private final Timer timer;
    private final Runnable onLate;

    /**
     * Creates a runner on the shared command connection.
     *
     * @param commands the scripting commands of the shared connection as it is now (it is replaced
     *     when it stops answering)
     * @param timeout the operation timeout that bounds every call (X1)
     * @param timer the client's timer, which bounds calls that nobody waits for
     * @param onLate told whenever a call went unanswered for the whole timeout, so that a connection
     *     that died silently is found and replaced (N1)
     */
    ScriptRunner(
            Supplier<RedisScriptingAsyncCommands<String, String>> commands,
            Duration timeout,
            Timer timer,
            Runnable onLate) {
        this.commands = commands;
        this.timeout = timeout;
        this.timer = timer;
        this.onLate = onLate;
    }

    /**
     * Runs a script and waits for its reply, up to the operation timeout.
     *
     * @param script the script
     * @param type how to read its reply
     * @param keys its keys; the first routes the call in a Cluster
     * @param args its arguments
     * @param resourceId the resource, for the error message
     * @return the reply
     * @throws LockException with {@code INTERNAL_ERROR} and the cause when Redis fails or is late
     */
    <T> T run(Script script, ScriptOutputType type, String[] keys, String[] args, String resourceId) {
        return call(script, type, keys, args, resourceId, true);
    }

    /**
     * Runs a script as one {@code EVAL}, never {@code EVALSHA}, and waits for its reply up to the
     * operation timeout. An {@code EVAL} cannot be answered {@code NOSCRIPT}, so the script is one
     * command that keeps its place on the connection whatever the server's script cache holds: for
     * the undo (X5), which must reach Redis after the acquisition it undoes.
     *
     * @param script the script
     * @param type how to read its reply
     * @param keys its keys; the first routes the call in a Cluster
     * @param args its arguments
     * @param resourceId the resource, for the error message
     * @return the reply
     * @throws LockException with {@code INTERNAL_ERROR} and the cause when Redis fails or is late;
     *     the command may still be applied later, in its place
     */
    <T> T runInOrder(Script script, ScriptOutputType type, String[] keys, String[] args, String resourceId) {
        return call(script, type, keys, args, resourceId, false);
    }

    private <T> T call(
            Script script, ScriptOutputType type, String[] keys, String[] args, String resourceId, boolean cached) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Backoff backoff = new Backoff();
        for (; ; ) {
            Call<T> call = new Call<>(script, type, keys, args);
            call.send(cached);
            Replies.awaitDone(call.reply, deadline);
            if (!call.reply.isDone()) {
                call.abandon();
                onLate.run();
                throw Replies.late(script.name() + " of '" + resourceId + "'", timeout);
            }
            Throwable failure = Replies.failureOf(call.reply);
            if (failure == null) {
                return call.reply.join();
            }
            if (failure instanceof RedisCommandTimeoutException) {
                onLate.run();
            }
            if (!Backoff.wasNeverSent(failure) || !backoff.pauseBefore(deadline)) {
                throw Replies.failed(script.name() + " of '" + resourceId + "'", failure);
            }
        }
    }

    /**
     * Starts a script without waiting for it or bounding it beyond Lettuce's own command timeout.
     *
     * @param script the script
     * @param type how to read its reply
     * @param keys its keys
     * @param args its arguments
     * @param cached {@code EVALSHA} first, or {@code false} for one {@code EVAL} (see {@link
     *     #runInOrder})
     * @return the pending reply
     */
    <T> CompletableFuture<T> start(Script script, ScriptOutputType type, String[] keys, String[] args, boolean cached) {
        Call<T> call = new Call<>(script, type, keys, args);
        call.send(cached);
        return call.reply;
    }

    /**
     * Starts a script and returns at once, for a caller that must never block (K1). The stage
     * completes with the reply, or exceptionally with a {@code LockException(INTERNAL_ERROR)} when
     * Redis fails or has not answered within the operation timeout, whichever comes first. It
     * completes on a Lettuce thread.
     *
     * @param script the script
     * @param type how to read its reply
     * @param keys its keys
     * @param args its arguments
     * @param resourceId the resource, for the error message
     * @return the pending reply
     */
    <T> CompletionStage<T> startWithin(
            Script script, ScriptOutputType type, String[] keys, String[] args, String resourceId) {
        String what = script.name() + " of '" + resourceId + "'";
        Call<T> call = new Call<>(script, type, keys, args);
        CompletableFuture<T> bounded = new CompletableFuture<>();
        call.reply.whenComplete((value, failure) -> {
            if (failure == null) {
                bounded.complete(value);
            } else {
                bounded.completeExceptionally(Replies.failed(what, ReplyWait.failureOf(failure)));
            }
        });
        call.send(true);
        if (bounded.isDone()) {
            return bounded;
        }
        try {
            // Lettuce bounds each command, but EVALSHA and its EVAL fallback are two commands.
            Timeout late = timer.newTimeout(
                    ignored -> {
                        if (bounded.completeExceptionally(Replies.late(what, timeout))) {
                            call.abandon();
                            onLate.run();
                        }
                    },
                    timeout.toNanos(),
                    TimeUnit.NANOSECONDS);
            bounded.whenComplete((value, failure) -> late.cancel());
        } catch (RuntimeException e) {
            // The timer is stopped: the client is closing, and the reply will not come either.
            call.abandon();
            bounded.completeExceptionally(Replies.failed(what, e));
        }
        return bounded;
    }

    /**
     * One sending of a script: {@code EVALSHA}, then {@code EVAL} on {@code NOSCRIPT}, unless the
     * caller has given up meanwhile (see the class comment).
     */
    private final class Call<T> {
        final CompletableFuture<T> reply = new CompletableFuture<>();

        private final Script script;
        private final ScriptOutputType type;
        private final String[] keys;
        private final String[] args;
        /** Set once the caller no longer waits; checked under the monitor before sending more. */
        private boolean abandoned;
        /** One connection for the whole call: an {@code EVAL} fallback goes where its {@code EVALSHA} went. */
        private final RedisScriptingAsyncCommands<String, String> commands = ScriptRunner.this.commands.get();

        Call(Script script, ScriptOutputType type, String[] keys, String[] args) {
            this.script = script;
            this.type = type;
            this.keys = keys;
            this.args = args;
        }

        void send(boolean cached) {
            if (!cached) {
                sendEval();
                return;
            }
            try {
                commands.<T>evalsha(script.sha1(), type, keys, args).whenComplete((value, failure) -> {
                    if (failure != null && ReplyWait.failureOf(failure) instanceof RedisNoScriptException) {
                        sendEval();
                    } else {
                        relay(value, failure);
                    }
                });
            } catch (RuntimeException e) {
                // Lettuce throws at once, rather than failing the future, e.g. when the client is closed.
                reply.completeExceptionally(e);
            }
        }

        /**
         * Sends the full script, unless abandoned. The monitor makes "not abandoned, so sent" one
         * step: a caller that abandons the call and then sends an undo knows that the undo is
         * written after this {@code EVAL}, or that this {@code EVAL} is never written.
         */
        synchronized void sendEval() {
            if (abandoned) {
                reply.completeExceptionally(new CancellationException("the caller gave up before NOSCRIPT came"));
                return;
            }
            try {
                commands.<T>eval(script.source(), type, keys, args).whenComplete(this::relay);
            } catch (RuntimeException e) {
                reply.completeExceptionally(e);
            }
        }

        synchronized void abandon() {
            abandoned = true;
        }

        private void relay(@Nullable T value, @Nullable Throwable failure) {
            if (failure == null) {
                reply.complete(value);
            } else {
                reply.completeExceptionally(failure);
            }
        }
    }
}
