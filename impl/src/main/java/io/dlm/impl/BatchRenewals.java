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
 * <p>Renewals wait in a lock-free queue. Senders, tasks on the keeper's blocking pool, take up to
 * {@link #MAX_BATCH} of them at a time and send them as one call. There are places for {@code
 * dlm.heartbeat.threads} senders (or the backend's {@link
 * BatchRenewingLockBackend#maxConcurrentBatches()}), half of them for batches; each enqueue starts
 * one more batch sender while there is a place, so a batch stuck on one slow lease holds up only
 * its own sender: the renewals queued after it go out on others. A sender runs until it
 * finds the queue empty and then leaves; it looks once more after leaving, so a renewal queued
 * while every sender was busy is never stranded.
 *
 * <p>A lease has at most one renewal waiting in the queue: one due while an earlier one still waits
 * joins it, since the earlier one is sent after that moment anyway and its answer confirms both
 * (K2 counts from the sending). So a backlog never grows beyond one renewal per lease.
 *
 * <p>One due while its earlier one is on its way may find that one stuck in a batch with a slow
 * lease (a row lock, say): sent in a batch again, it would share that lease's fate each time, and
 * so would every lease due at the same moments. Such renewals go one by one instead, from a queue
 * of their own, on half of the senders' places, so they never crowd out the batches: when the
 * engine as a whole stops for a moment, every lease has one, and the batches still go out on their
 * own places beside them (N7). A single renewal whose earlier one was answered while it waited is
 * not sent. With a single place in all, everything goes in batches.
 */
final class BatchRenewals {

    /**
     * The most renewals in one call: big enough for thousands of leases, small enough for one
     * round trip of a statement batch (PostgreSQL's driver sends a batch of 256 or more statements
     * in two: 206 ms against 105 ms for 200 on a link of 100 ms).
     */
    static final int MAX_BATCH = 200;

    /** A queued renewal of one lease, which is also the stage of its answer. */
    static final class Queued extends CompletableFuture<Boolean> {
        final DefaultLease lease;
        /** Until a sender takes it; a renewal due meanwhile joins it. */
        volatile boolean waiting = true;
        /**
         * The lease's renewal before this one, already taken: perhaps into the batch this one joins,
         * or, for a single renewal, the one it stands in for while unanswered.
         */
        private volatile @Nullable Queued previous;
        /** The batch it was put in, while that batch is formed. */
        private volatile @Nullable Object formingIn;

        Queued(DefaultLease lease, @Nullable Queued previous) {
            this.lease = lease;
            this.previous = previous;
        }
    }

    private final BatchRenewingLockBackend backend;
    private final int maxBatchSenders;
    private final int maxSingleSenders;
    private final Supplier<@Nullable ExecutorService> pool;
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    /** Renewals due while an earlier one of their lease is on its way, sent one by one. */
    private final ConcurrentLinkedQueue<Queued> suspects = new ConcurrentLinkedQueue<>();

    private final AtomicInteger batchSenders = new AtomicInteger();
    private final AtomicInteger singleSenders = new AtomicInteger();

    private final Runnable drain = this::drain;
    private final Runnable drainSuspects = this::drainSuspects;

    /**
     * @param backend the backend that renews in batches
     * @param maxSenders how many calls may be on the engine at once ({@code dlm.heartbeat.threads}),
     *     fewer if the backend says it can run fewer batches
     * @param pool the keeper's blocking pool, or {@code null} once the manager is closed
     */
    BatchRenewals(BatchRenewingLockBackend backend, int maxSenders, Supplier<@Nullable ExecutorService> pool) {
        this.backend = backend;
        int places = Math.max(1, Math.min(maxSenders, backend.maxConcurrentBatches()));
        this.maxSingleSenders = places / 2;
        this.maxBatchSenders = places - maxSingleSenders;
        this.pool = pool;
    }

    /**
     * Queues one renewal of a lease, for a batch or to go alone (see above), and returns at once. The lease
     * is looked at again just before it is sent: a renewal that waited past a release or the
     * lease's deadline is not sent and completes with {@code null} (K1, D4).
     *
     * @param lease the lease; on the scheduler thread, which sends all of its renewals
     * @return the stage of the engine's answer: {@code true}, {@code false}, {@code null} when not
     *     sent, or exceptionally when the call failed
     */
    CompletionStage<Boolean> renew(DefaultLease lease) {
        Queued latest = lease.latestQueued;
        if (latest != null && latest.waiting) {
            // Not taken yet, so sent after now: its answer is this renewal's too.
            return latest;
        }
        if (latest != null && !latest.isDone() && maxSingleSenders > 0) {
            return enqueue(new Queued(lease, latest), suspects, singleSenders, maxSingleSenders, drainSuspects);
        }
        return enqueue(new Queued(lease, latest), queue, batchSenders, maxBatchSenders, drain);
    }

    /**
     * Makes a renewal its lease's latest and puts it in a queue, then starts one more of that
     * queue's senders while there is a place.
     */
    private Queued enqueue(
            Queued renewal,
            ConcurrentLinkedQueue<Queued> into,
            AtomicInteger senders,
            int maxSenders,
            Runnable sender) {
        renewal.lease.latestQueued = renewal;
        into.add(renewal);
        if (claim(senders, maxSenders)) {
            startSender(sender, senders);
        }
        return renewal;
    }

    private static boolean claim(AtomicInteger senders, int max) {
        for (; ; ) {
            int running = senders.get();
            if (running >= max) {
                return false;
            }
            if (senders.compareAndSet(running, running + 1)) {
                return true;
            }
        }
    }

    private void startSender(Runnable sender, AtomicInteger senders) {
        if (!execute(sender)) {
            senders.decrementAndGet();
            failQueued();
        }
    }

    private boolean execute(Runnable task) {
        ExecutorService threads = pool.get();
        if (threads == null) {
            return false;
        }
        try {
            threads.execute(task);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    /** Closing: nothing will send what is queued; its leases end with the manager. */
    private void failQueued() {
        RejectedExecutionException closing = new RejectedExecutionException("the manager is closed");
        for (ConcurrentLinkedQueue<Queued> waiting : List.of(queue, suspects)) {
            for (Queued renewal = waiting.poll(); renewal != null; renewal = waiting.poll()) {
                renewal.waiting = false;
                renewal.completeExceptionally(closing);
            }
        }
    }

    /** A sender of single renewals: runs until the queue of them is empty. */
    private void drainSuspects() {
        try {
            for (; ; ) {
                Queued next = suspects.poll();
                if (next == null) {
                    singleSenders.decrementAndGet();
                    // As for batches: an enqueue that found no place counted on this sender.
                    if (suspects.isEmpty() || !claim(singleSenders, maxSingleSenders)) {
                        return;
                    }
                    continue;
                }
                next.waiting = false;
                Queued standsInFor = next.previous;
                next.previous = null;
                if (standsInFor != null && standsInFor.isDone() && !standsInFor.isCompletedExceptionally()) {
                    // The earlier one was answered meanwhile: this one is not needed. After a
                    // failure it is, since the lease may have nothing else on its way.
                    next.complete(null);
                    continue;
                }
                try {
                    next.complete(next.lease.renewBlocking());
                } catch (RuntimeException e) {
                    next.completeExceptionally(e);
                }
            }
        } catch (Error e) {
            singleSenders.decrementAndGet();
            throw e;
        }
    }

    private void drain() {
        List<Queued> batch = new ArrayList<>();
        try {
            for (; ; ) {
                Object forming = new Object();
                for (Queued next = queue.poll(); next != null; next = batch.size() < MAX_BATCH ? queue.poll() : null) {
                    next.waiting = false;
                    Queued previous = next.previous;
                    next.previous = null; // so that no chain of past renewals stays reachable
                    if (previous != null && previous.formingIn == forming) {
                        // Queued after this sender took its earlier one: both go out as one item.
                        rideOn(previous, next);
                    } else if (next.lease.startBlockingRenewal()) {
                        next.formingIn = forming;
                        batch.add(next);
                    } else {
                        next.complete(null); // released, lost or past its deadline while queued
                    }
                }
                if (batch.isEmpty()) {
                    batchSenders.decrementAndGet();
                    // An enqueue that found every sender running counted on one of them to take its
                    // renewal, perhaps this one just before it left: look again.
                    if (queue.isEmpty() || !claim(batchSenders, maxBatchSenders)) {
                        return;
                    }
                    continue;
                }
                send(batch);
                batch.clear();
            }
        } catch (Error e) {
            batchSenders.decrementAndGet();
            throw e;
        }
    }

    private static void rideOn(Queued sent, Queued rider) {
        sent.whenComplete((renewed, failure) -> {
            if (failure != null) {
                rider.completeExceptionally(failure);
            } else {
                rider.complete(renewed);
            }
        });
    }

    private void send(List<Queued> batch) {
        List<Renewal> renewals = new ArrayList<>(batch.size());
        for (Queued queued : batch) {
            queued.formingIn = null;
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
