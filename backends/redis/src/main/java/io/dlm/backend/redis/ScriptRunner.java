package io.dlm.backend.redis;

import io.dlm.LockException;
import io.dlm.backend.redis.LockScripts.Script;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Runs the {@link LockScripts} in one round trip each: {@code EVALSHA}, and only when the server
 * answers {@code NOSCRIPT} (first use, a restart, {@code SCRIPT FLUSH}, another Cluster node) the
 * full {@code EVAL}, which also caches the script for the next call (H3).
 *
 * <p>A call that Lettuce refuses to send because its connection is (re)connecting is tried again,
 * with a short pause, until the operation timeout: that rides out a Cluster node's connection being
 * opened on first use and a brief reconnect, and is safe because Redis never saw the refused
 * attempt. A call that was sent and then failed or went unanswered is never repeated (X1, X4).
 */
final class ScriptRunner {

    private final RedisScriptingAsyncCommands<String, String> commands;
    private final Duration timeout;

    /**
     * Creates a runner on one connection.
     *
     * @param commands the scripting commands of the shared connection
     * @param timeout the operation timeout that bounds every call (X1)
     */
    ScriptRunner(RedisScriptingAsyncCommands<String, String> commands, Duration timeout) {
        this.commands = commands;
        this.timeout = timeout;
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
        long deadline = System.nanoTime() + timeout.toNanos();
        Backoff backoff = new Backoff();
        for (; ; ) {
            CompletableFuture<T> reply = start(script, type, keys, args);
            Replies.awaitDone(reply, deadline);
            if (!reply.isDone()) {
                reply.cancel(false);
                throw Replies.late(script.name() + " of '" + resourceId + "'", timeout);
            }
            Throwable failure = Replies.failureOf(reply);
            if (failure == null) {
                return reply.join();
            }
            if (!Backoff.wasNeverSent(failure) || !backoff.pauseBefore(deadline)) {
                throw Replies.failed(script.name() + " of '" + resourceId + "'", failure);
            }
        }
    }

    /**
     * Starts a script without waiting for it.
     *
     * @param script the script
     * @param type how to read its reply
     * @param keys its keys
     * @param args its arguments
     * @return the pending reply
     */
    <T> CompletableFuture<T> start(Script script, ScriptOutputType type, String[] keys, String[] args) {
        CompletableFuture<T> cached;
        try {
            cached = commands.<T>evalsha(script.sha1(), type, keys, args).toCompletableFuture();
        } catch (RuntimeException e) {
            // Lettuce throws at once, rather than failing the future, e.g. when the client is closed.
            return CompletableFuture.failedFuture(e);
        }
        return cached.exceptionallyCompose(failure -> Replies.unwrap(failure) instanceof RedisNoScriptException
                ? commands.<T>eval(script.source(), type, keys, args).toCompletableFuture()
                : CompletableFuture.failedFuture(failure));
    }
}
