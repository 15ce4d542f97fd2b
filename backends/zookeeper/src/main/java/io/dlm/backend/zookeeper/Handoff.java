package io.dlm.backend.zookeeper;

import io.dlm.spi.ReplyWait;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A value that ZooKeeper's event thread hands to a waiting caller, with a place for a value that
 * comes after the caller stopped waiting, so that whatever it created can be undone (X5).
 *
 * <p>The waiting itself is the SPI's {@link ReplyWait}, as in every backend.
 *
 * @param <T> the value
 */
final class Handoff<T> {

    private final CompletableFuture<T> value = new CompletableFuture<>();

    /**
     * Hands the value over; later calls are ignored.
     *
     * @param delivered the value
     */
    void complete(T delivered) {
        value.complete(delivered);
    }

    /**
     * The value if it has come.
     *
     * @return the value, or {@code null}
     */
    @Nullable
    T peek() {
        return value.getNow(null);
    }

    /**
     * Waits for the value.
     *
     * @param deadline a {@link System#nanoTime()} value
     * @param interruptible whether an interrupt ends the wait; otherwise it is kept for later
     * @return the value, or {@code null} once the deadline has passed
     * @throws InterruptedException if interruptible and interrupted; the status is then cleared
     */
    @Nullable
    T await(long deadline, boolean interruptible) throws InterruptedException {
        if (interruptible) {
            ReplyWait.await(value, deadline);
        } else {
            ReplyWait.awaitUninterruptibly(value, deadline);
        }
        return value.getNow(null);
    }

    /**
     * Gives up waiting: a value that still comes is passed to {@code late} (on ZooKeeper's event
     * thread; one that came between the timeout and now, on the calling thread), so that whatever
     * it created can be undone.
     *
     * @param late what to do with a late value, or {@code null}
     */
    void abandon(@Nullable Consumer<T> late) {
        if (late != null) {
            value.thenAccept(late);
        }
    }
}
