package io.dlm.impl;

import io.dlm.spi.BatchRenewingLockBackend;
import io.dlm.spi.Renewal;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Sends the keep-alive renewals of a {@link BatchRenewingLockBackend} many to a round trip (K1,
 * N7). One renewal per pool thread and round trip caps a pool of 32 threads at about 320 renewals a
 * second on an engine that answers in 100 ms; 1,000 leases renewed three times a second need ten
 * times that.
 *
 * <p>Renewals wait in a lock-free queue. Drainers, tasks on the keeper's blocking pool, take up to
 * {@link #MAX_BATCH} of them at a time and send them as one call. Each enqueue starts one more
 * drainer while fewer than {@code dlm.heartbeat.threads} (or the backend's {@link
 * BatchRenewingLockBackend#maxConcurrentBatches()}) run, so a batch stuck on one slow lease
 * (a row lock, say) holds up only its own drainer: the renewals queued after it go out on others.
 * A drainer runs until it finds the queue empty and then leaves; it looks once more after leaving,
 * so a renewal queued while every drainer was busy is never stranded.
 */
final class BatchRenewals {

    /** The most renewals in one call: big enough for thousands of leases, small enough for one statement batch. */
    static final int MAX_BATCH = 256;

    /** A queued renewal of one lease, which is also the stage of its answer. */
    private static final class Queued extends CompletableFuture<Boolean> {
        final DefaultLease lease;

        Queued(DefaultLease lease) {
            this.lease = lease;
        }
    }

    private final BatchRenewingLockBackend backend;
    private final int maxDrainers;
    private final Supplier<@Nullable ExecutorService> pool;
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger drainers = new AtomicInteger();
    private final Runnable drain = this::drain;

    /**
     * @param backend the backend that renews in batches
     * @param maxDrainers how many batches may be on the engine at once ({@code dlm.heartbeat.threads}),
     *     fewer if the backend says it can run fewer
     * @param pool the keeper's blocking pool, or {@code null} once the manager is closed
     */
    BatchRenewals(BatchRenewingLockBackend backend, int maxDrainers, Supplier<@Nullable ExecutorService> pool) {
        this.backend = backend;
        this.maxDrainers = Math.max(1, Math.min(maxDrainers, backend.maxConcurrentBatches()));
        this.pool = pool;
    }

    /**
     * Queues one renewal of a lease and returns at once. The lease is looked at again when its
     * batch is formed: a renewal that waited past a release or the lease's deadline is not sent and
     * completes with {@code null} (K1, D4).
     *
     * @param lease the lease; it has no other renewal on its way, so one batch never holds two of it
     * @return the stage of the engine's answer: {@code true}, {@code false}, {@code null} when not
     *     sent, or exceptionally when the batch failed
     */
    CompletionStage<Boolean> renew(DefaultLease lease) {
        Queued renewal = new Queued(lease);
        queue.add(renewal);
        if (claimDrainer()) {
            startDrainer();
        }
        return renewal;
    }

    private boolean claimDrainer() {
        for (; ; ) {
            int running = drainers.get();
            if (running >= maxDrainers) {
                return false;
            }
            if (drainers.compareAndSet(running, running + 1)) {
                return true;
            }
        }
    }

    private void startDrainer() {
        ExecutorService threads = pool.get();
        try {
            if (threads == null) {
                throw new RejectedExecutionException("the manager is closed");
            }
            threads.execute(drain);
        } catch (RejectedExecutionException closing) {
            drainers.decrementAndGet();
            // Closing: nothing will send what is queued; its leases end with the manager.
            for (Queued renewal = queue.poll(); renewal != null; renewal = queue.poll()) {
                renewal.completeExceptionally(closing);
            }
        }
    }

    private void drain() {
        List<Queued> batch = new ArrayList<>();
        try {
            for (; ; ) {
                for (Queued next = queue.poll(); next != null; next = batch.size() < MAX_BATCH ? queue.poll() : null) {
                    if (next.lease.startBlockingRenewal()) {
                        batch.add(next);
                    } else {
                        next.complete(null); // released, lost or past its deadline while queued
                    }
                }
                if (batch.isEmpty()) {
                    drainers.decrementAndGet();
                    // An enqueue that found every drainer running counted on one of them to take its
                    // renewal, perhaps this one just before it left: look again.
                    if (queue.isEmpty() || !claimDrainer()) {
                        return;
                    }
                    continue;
                }
                send(batch);
                batch.clear();
            }
        } catch (Error e) {
            drainers.decrementAndGet();
            throw e;
        }
    }

    private void send(List<Queued> batch) {
        List<Renewal> renewals = new ArrayList<>(batch.size());
        for (Queued queued : batch) {
            DefaultLease lease = queued.lease;
            renewals.add(new Renewal(lease.resourceId(), lease.clientId(), lease.fencingToken()));
        }
        boolean[] answers = null;
        Throwable failure = null;
        try {
            answers = backend.renewAll(renewals);
            if (answers.length != batch.size()) {
                failure = new IllegalStateException(
                        "the backend answered " + answers.length + " of " + batch.size() + " renewals of one batch");
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            // Before the answers: a release waiting for these renewals goes on once they are back (D4).
            for (Queued queued : batch) {
                queued.lease.blockingRenewalDone();
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            Queued queued = batch.get(i);
            if (failure != null || answers == null) {
                queued.completeExceptionally(failure != null ? failure : new IllegalStateException("no answer"));
            } else {
                queued.complete(answers[i]);
            }
        }
        if (failure instanceof Error error) {
            throw error;
        }
    }
}
