package io.dlm.impl;

import io.dlm.spi.WatchingLockBackend.Watch;
import java.util.ArrayDeque;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The threads of this process waiting for one resource, first come, first served (L2, L4).
 *
 * <p>Only the head tries the backend; the others sleep until they become head, so a release wakes
 * one thread, not a herd. A queue lives while it has waiters: the waiter that leaves it empty
 * retires it, and a retired queue accepts nobody, so no entry or watch outlives its waiters (L5).
 *
 * <p>Its monitor guards short steps in memory only: nothing parks and no engine is called while it
 * is held (the waiter parks, and a retired queue's watch is closed, after leaving it), so a virtual
 * thread never stays pinned to its carrier here (JDK 21 to 23) for longer than one such step.
 */
final class WaitQueue {

    /**
     * A thread waiting in the queue.
     *
     * <p>A wake-up is a flag as well as an unpark: a backend call that blocks on a future parks the
     * same thread, and may swallow the unpark's permit, but it cannot clear the flag, so the
     * waiter sees it before it parks again.
     */
    static final class Waiter {
        final Thread thread = Thread.currentThread();
        private volatile boolean signalled;

        /** Forgets earlier wake-ups; called before each look at the resource. */
        void clearSignal() {
            signalled = false;
        }

        /**
         * Tells whether a wake-up came since the last {@link #clearSignal()}.
         *
         * @return whether the waiter must look again instead of parking
         */
        boolean isSignalled() {
            return signalled;
        }

        void signal() {
            signalled = true;
            LockSupport.unpark(thread);
        }
    }

    private final ArrayDeque<Waiter> waiters = new ArrayDeque<>(4);
    private boolean retired;
    private @Nullable Watch watch;

    /**
     * Appends a waiter.
     *
     * @param waiter the calling thread's waiter
     * @return {@code false} if the queue was retired meanwhile; the caller takes a fresh one
     */
    synchronized boolean enqueue(Waiter waiter) {
        if (retired) {
            return false;
        }
        waiters.addLast(waiter);
        return true;
    }

    /**
     * Tells whether the waiter is the first in line, the one allowed to try the backend.
     *
     * @param waiter a waiter of this queue
     * @return whether it is the head
     */
    synchronized boolean isHead(Waiter waiter) {
        return waiters.peekFirst() == waiter;
    }

    /**
     * Tells whether anybody is queued; a newcomer must not overtake them (L2).
     *
     * @return whether the queue has waiters
     */
    synchronized boolean hasWaiters() {
        return !waiters.isEmpty();
    }

    /**
     * Removes a waiter. If it was the head, the next one is woken to take its turn; if it was the
     * last, the queue retires and returns its watch for the caller to close outside the lock.
     *
     * @param waiter a waiter of this queue
     * @param onRetire run under the lock when the queue retires, to unregister it
     * @return the watch to close, if the queue retired with one
     */
    synchronized @Nullable Watch dequeue(Waiter waiter, Runnable onRetire) {
        boolean wasHead = waiters.peekFirst() == waiter;
        waiters.remove(waiter);
        Waiter next = waiters.peekFirst();
        if (next == null) {
            retired = true;
            onRetire.run();
            Watch retiring = watch;
            watch = null;
            return retiring;
        }
        if (wasHead) {
            next.signal();
        }
        return null;
    }

    /** Wakes the head so that it tries again: the resource may be free (U3). */
    void wakeHead() {
        Waiter head;
        synchronized (this) {
            head = waiters.peekFirst();
        }
        if (head != null) {
            head.signal();
        }
    }

    /** Wakes every waiter; they find the manager closed (C1). */
    synchronized void wakeAll() {
        for (Waiter waiter : waiters) {
            waiter.signal();
        }
    }

    /**
     * Tells whether a watch must still be registered for this queue.
     *
     * @return whether the queue is live and has no watch yet
     */
    synchronized boolean needsWatch() {
        return !retired && watch == null;
    }

    /**
     * Attaches the engine watch, unless the queue retired meanwhile.
     *
     * @param registered the new watch
     * @return {@code false} if the queue already retired; the caller closes the watch then
     */
    synchronized boolean attach(Watch registered) {
        if (retired || watch != null) {
            return false;
        }
        watch = registered;
        return true;
    }
}
