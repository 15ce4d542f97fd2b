package io.dlm.impl;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Completes {@link io.dlm.Lease#lost()} stages off the keep-alive thread (K3).
 *
 * <p>The keep-alive thread only appends a completion to a lock-free queue and unparks one
 * dispatcher thread: it never creates a thread or runs application code, so the deadlines of the
 * other leases are kept on time even at the first loss, when nothing is warm yet. The dispatcher
 * hands each completion to a pool that starts a thread whenever all are busy (the application's
 * callbacks run inside a completion and may be slow), up to {@value #MAX_THREADS}, then queues;
 * threads beyond {@value #CORE_THREADS} end after 30 idle seconds. Everything is started with the keep-alive scheduler, not on the
 * first loss.
 */
final class LossNotifier {

    private static final int CORE_THREADS = 2;
    private static final int MAX_THREADS = 64;

    private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
    private final ThreadPoolExecutor overflow;
    private final ThreadPoolExecutor pool;
    private final Thread dispatcher;
    /**
     * Opened as the dispatcher ends; {@code close} waits on it rather than on {@code
     * Thread.join}, which waits inside the thread's monitor and so pins a virtual thread that
     * closes the manager (JDK 21 to 23).
     */
    private final CountDownLatch dispatcherEnded = new CountDownLatch(1);

    private volatile boolean closing;

    /**
     * Starts the dispatcher and the pool.
     *
     * @param threads makes the thread factory of a family of threads, by name
     */
    LossNotifier(Function<String, ThreadFactory> threads) {
        overflow = new ThreadPoolExecutor(
                1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads.apply("dlm-lease-events-overflow"));
        overflow.allowCoreThreadTimeOut(true);
        pool = new ThreadPoolExecutor(
                CORE_THREADS,
                MAX_THREADS,
                30,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                threads.apply("dlm-lease-events"),
                (task, full) -> runSomewhere(overflow, task));
        // Waiting from the start: the first losses would otherwise wait for threads to be made.
        pool.prestartAllCoreThreads();
        dispatcher = threads.apply("dlm-lease-events-dispatcher").newThread(this::dispatch);
        dispatcher.start();
    }

    /**
     * Queues a completion; cheap and non-blocking, for the keep-alive thread.
     *
     * @param completion completes one lease's loss stage
     * @return false, with the completion not queued, once the notifier closes: the caller runs it
     */
    boolean submit(Runnable completion) {
        if (closing) {
            return false;
        }
        queue.add(completion);
        if (closing && queue.remove(completion)) {
            // close() may have drained the queue for the last time before the add: nothing
            // queued may be left behind (K3), so the caller sees to it, on a thread it chooses.
            return false;
        }
        LockSupport.unpark(dispatcher);
        return true;
    }

    private void dispatch() {
        try {
            for (; ; ) {
                Runnable next = queue.poll();
                if (next != null) {
                    runSomewhere(pool, next);
                } else if (closing) {
                    return;
                } else {
                    LockSupport.park(this);
                }
            }
        } finally {
            dispatcherEnded.countDown();
        }
    }

    /** Runs queued completions on the calling thread. */
    private void drainHere() {
        Runnable next;
        while ((next = queue.poll()) != null) {
            next.run();
        }
    }

    /** Hands a completion to a pool, or runs it here when the pool no longer takes work. */
    private static void runSomewhere(ThreadPoolExecutor executor, Runnable completion) {
        try {
            executor.execute(completion);
        } catch (RejectedExecutionException shutDown) {
            completion.run();
        }
    }

    /**
     * Lets the queued completions run (a lease reported lost is told so), then stops.
     *
     * @param waitNanos how long to wait for the threads to end; {@code 0} to not wait (when called
     *     from one of them)
     */
    void close(long waitNanos) {
        closing = true;
        LockSupport.unpark(dispatcher);
        long deadline = System.nanoTime() + waitNanos;
        boolean interrupted = false;
        try {
            if (waitNanos > 0) {
                dispatcherEnded.await(waitNanos, TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            // Whatever happened above: the pools stop taking work, so that no thread of them
            // outlives the manager (C1), and what the dispatcher did not hand on runs here (K3).
            pool.shutdown();
            overflow.shutdown();
            drainHere();
        }
        if (waitNanos > 0 && !interrupted) {
            try {
                pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                overflow.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
