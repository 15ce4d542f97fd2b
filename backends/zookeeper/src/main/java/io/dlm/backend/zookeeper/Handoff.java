package io.dlm.backend.zookeeper;

import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * A value that ZooKeeper's event thread hands to a waiting caller.
 *
 * <p>Waiting here uses the object's monitor, never {@link java.util.concurrent.locks.LockSupport}:
 * the runtime wakes a waiting thread by {@code unpark} and counts on the permit surviving until
 * the thread parks for the resource again, also when the wake comes while the thread is inside a
 * backend call. A {@code CompletableFuture.get} or a {@code CountDownLatch} here would park on that
 * permit, use it up, and the waiter would then sleep through the release it was woken for (L4).
 * Monitor waits and {@link Thread#sleep} leave the permit alone.
 *
 * @param <T> the value
 */
final class Handoff<T> {

    private @Nullable T value;
    private @Nullable Consumer<T> whenAbandoned;
    private boolean abandoned;

    /**
     * Hands the value over; later calls are ignored.
     *
     * @param delivered the value
     */
    void complete(T delivered) {
        Consumer<T> late;
        synchronized (this) {
            if (value != null) {
                return;
            }
            value = delivered;
            notifyAll();
            late = abandoned ? whenAbandoned : null;
        }
        if (late != null) {
            late.accept(delivered);
        }
    }

    /**
     * The value if it has come.
     *
     * @return the value, or {@code null}
     */
    synchronized @Nullable T peek() {
        return value;
    }

    /**
     * Waits for the value.
     *
     * @param deadline a {@link System#nanoTime()} value
     * @param interruptible whether an interrupt ends the wait; otherwise it is kept for later
     * @return the value, or {@code null} once the deadline has passed
     * @throws InterruptedException if interruptible and interrupted; the status is then cleared
     */
    synchronized @Nullable T await(long deadline, boolean interruptible) throws InterruptedException {
        boolean interrupted = false;
        try {
            while (value == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                try {
                    wait(left / 1_000_000L, (int) (left % 1_000_000L));
                } catch (InterruptedException e) {
                    if (interruptible) {
                        throw e;
                    }
                    interrupted = true;
                }
            }
            return value;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Gives up waiting: a value that still comes is passed to {@code late} (on ZooKeeper's event
     * thread), so that whatever it created can be undone.
     *
     * @param late what to do with a late value, or {@code null}
     */
    void abandon(@Nullable Consumer<T> late) {
        T arrived;
        synchronized (this) {
            abandoned = true;
            whenAbandoned = late;
            arrived = value;
        }
        if (arrived != null && late != null) {
            late.accept(arrived); // came between the timeout and now
        }
    }
}
