package io.dlm.backend.redis;

import io.dlm.LockError;
import io.dlm.LockException;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Holds a granted acquisition back until enough replicas have it ({@code dlm.redis.replica-acks}):
 * one {@code WAIT} on the connection that carried the acquisition, which answers how many replicas
 * have applied every write of that connection so far.
 *
 * <p>Why (F1 across a failover): Redis replicates asynchronously, and a replica promoted before it
 * received a grant continues the resource's fencing counter from an older value, seeded by its own
 * clock. If that clock is behind the old primary's, the next holder can get a smaller token than
 * the holder whose grant was lost. A token that a replica acknowledged is in that replica's copy of
 * the counter, so once it is promoted every later token is larger, whatever the clocks say.
 * An acquisition that too few replicas confirm in time fails with {@code INTERNAL_ERROR}; the
 * runtime then undoes it (X5), and its token was never handed out.
 */
final class ReplicaAcks {

    private final Supplier<RedisAsyncCommands<String, String>> commands;
    private final int required;
    private final Duration timeout;

    /**
     * Creates the check on the acquisitions' own connection.
     *
     * @param commands that connection
     * @param required how many replicas must confirm, at least 1
     * @param timeout the operation timeout, for messages
     */
    ReplicaAcks(Supplier<RedisAsyncCommands<String, String>> commands, int required, Duration timeout) {
        this.commands = commands;
        this.required = required;
        this.timeout = timeout;
    }

    /**
     * Returns once {@link #required} replicas have every write sent so far on the connection, the
     * acquisition just granted among them.
     *
     * @param resourceId the resource, for messages
     * @param deadlineNanos the {@link System#nanoTime()} by which the whole acquisition must end (X1)
     * @throws LockException with {@code INTERNAL_ERROR} when fewer replicas confirmed it in time, or
     *     Redis failed or did not answer
     */
    void confirm(String resourceId, long deadlineNanos) {
        String what = "replica acknowledgement of the acquisition of '" + resourceId + "'";
        long leftNanos = deadlineNanos - System.nanoTime();
        // WAIT 0 would wait for ever; and a quarter of what is left is kept for the reply to travel.
        long waitMillis = TimeUnit.NANOSECONDS.toMillis(leftNanos - leftNanos / 4);
        if (waitMillis < 1) {
            throw Replies.late(what, timeout);
        }
        CompletableFuture<Long> acks;
        try {
            acks = commands.get().waitForReplication(required, waitMillis).toCompletableFuture();
        } catch (RuntimeException e) {
            throw Replies.failed(what, e);
        }
        Replies.awaitDone(acks, deadlineNanos);
        if (!acks.isDone()) {
            throw Replies.late(what, timeout);
        }
        Throwable failure = Replies.failureOf(acks);
        if (failure != null) {
            throw Replies.failed(what, failure);
        }
        long confirmed = acks.join();
        if (confirmed < required) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "Redis granted '" + resourceId + "', but only " + confirmed + " of the " + required
                            + " replicas that " + RedisSettings.REPLICA_ACKS + " asks for confirmed it within "
                            + Duration.ofMillis(waitMillis) + "; it is undone rather than handed out, since a"
                            + " failover could lose it");
        }
    }
}
