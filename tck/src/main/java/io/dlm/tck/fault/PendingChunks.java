package io.dlm.tck.fault;

import java.time.Duration;

/**
 * Counts the chunks that every connection of one proxy has read but not yet written or dropped, so
 * a test can wait for delayed bytes to reach their destination.
 */
final class PendingChunks {

    // Guarded by this: a waiter checks the count and waits while holding the monitor, so the
    // notification of the count reaching zero cannot fall between its check and its wait.
    private long count;

    synchronized void added() {
        count++;
    }

    synchronized void removed(int chunks) {
        count -= chunks;
        if (count == 0) {
            notifyAll();
        }
    }

    synchronized long count() {
        return count;
    }

    /**
     * Waits until no chunk is pending.
     *
     * @return whether none was pending before the timeout
     */
    synchronized boolean awaitNone(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // wait(0) would mean forever: round a sub-millisecond remainder up.
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
