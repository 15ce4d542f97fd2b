package io.dlm.benchmarks.keepalive;

import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.spi.AsyncLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.tck.ForwardingLockBackend;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;

/**
 * A real backend seen through a slow link: each renewal reaches the engine {@code delay} after it
 * was sent and is answered at once from there, and the engine can be stalled, so that renewals
 * arriving meanwhile are answered only when the stall ends. This is N7's engine, "answering within
 * 100 ms", then "stalled for 2 s", injected at the SPI boundary around the real engine, so the
 * runtime above it is exactly the one users get.
 *
 * <p>Only renewals are delayed; every other call goes straight to the engine. N7 is about keeping leases, not taking them, and a hundred
 * milliseconds on each of 1,000 acquisitions taken one after another would only lengthen the
 * set-up by 100 s.
 *
 * <p>It implements {@link AsyncLockBackend} and deliberately not
 * {@link io.dlm.spi.InProcessLockBackend}, even around the in-memory engine: the runtime renews an
 * in-process backend inline on its keep-alive thread, which would bypass the delay. As an
 * asynchronous backend its renewals take the same path as a remote engine's.
 */
final class DelayedBackend extends ForwardingLockBackend implements AsyncLockBackend {

    private final long delayNanos;
    private final Duration operationTimeout;
    /** The link: one thread that delivers each renewal to the engine when it is due. */
    private final ScheduledThreadPoolExecutor link;

    private final LongAdder renewalsSent = new LongAdder();
    // stallUntil is written before stalled, and read after it, so a reader that sees the flag
    // sees the end of the stall that set it.
    private volatile long stallUntil;
    private volatile boolean stalled;

    DelayedBackend(LockBackend engine, Duration delay, Duration operationTimeout) {
        super(engine);
        this.delayNanos = delay.toNanos();
        this.operationTimeout = operationTimeout;
        this.link = new ScheduledThreadPoolExecutor(1, task -> {
            // Named outside the "dlm-" family so that the report can tell the simulated engine's
            // thread from the manager's own.
            Thread thread = new Thread(task, "bench-engine-link");
            thread.setDaemon(true);
            return thread;
        });
        this.link.setRemoveOnCancelPolicy(true);
    }

    /**
     * Stops the engine answering renewals until {@code length} from now: renewals that arrive in
     * that time are answered when it ends.
     *
     * @param length how long the engine stays silent
     * @return the time the stall began
     */
    long stall(Duration length) {
        long now = System.nanoTime();
        stallUntil = now + length.toNanos();
        stalled = true;
        return now;
    }

    /**
     * Renewals sent so far.
     *
     * @return the count
     */
    long renewalsSent() {
        return renewalsSent.sum();
    }

    @Override
    public CompletionStage<Boolean> renewAsync(String resourceId, String clientId, long fencingToken) {
        renewalsSent.increment();
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        deliver(() -> arrive(resourceId, clientId, fencingToken, answer), delayNanos, answer);
        return answer;
    }

    /** The renewal reaches the engine; a stalled engine keeps it until the stall ends. */
    private void arrive(String resourceId, String clientId, long fencingToken, CompletableFuture<Boolean> answer) {
        if (stalled) {
            long left = stallUntil - System.nanoTime();
            if (left > 0) {
                deliver(() -> arrive(resourceId, clientId, fencingToken, answer), left, answer);
                return;
            }
        }
        LockBackend engine = real();
        if (engine instanceof AsyncLockBackend async) {
            async.renewAsync(resourceId, clientId, fencingToken).whenComplete((renewed, failure) -> {
                if (failure != null) {
                    answer.completeExceptionally(failure);
                } else {
                    answer.complete(renewed);
                }
            });
            return;
        }
        try {
            // The in-memory engine: a map operation, short enough to run on the link thread.
            answer.complete(engine.renew(resourceId, clientId, fencingToken));
        } catch (RuntimeException e) {
            answer.completeExceptionally(e);
        }
    }

    private void deliver(Runnable step, long delay, CompletableFuture<Boolean> answer) {
        try {
            link.schedule(step, delay, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            answer.completeExceptionally(closed);
        }
    }

    /** A blocking renewal ({@code Lease.renew()}, {@code heartbeat}) takes the same slow link. */
    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        try {
            return renewAsync(resourceId, clientId, fencingToken)
                    .toCompletableFuture()
                    .get(operationTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockException(LockError.INTERNAL_ERROR, "interrupted while renewing '" + resourceId + "'", e);
        } catch (ExecutionException e) {
            throw new LockException(
                    LockError.INTERNAL_ERROR, "the renewal of '" + resourceId + "' failed", e.getCause());
        } catch (TimeoutException e) {
            throw new LockException(
                    LockError.INTERNAL_ERROR,
                    "the renewal of '" + resourceId + "' took longer than " + operationTimeout,
                    e);
        }
    }

    /**
     * Stops the link, then closes the engine. Renewals still on the link are dropped unanswered:
     * the runtime has stopped its keep-alive before it closes the backend, so no one waits for them.
     */
    @Override
    public void close() {
        link.shutdownNow();
        try {
            link.awaitTermination(operationTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            super.close();
        }
    }
}
