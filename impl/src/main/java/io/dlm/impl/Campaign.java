package io.dlm.impl;

import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockManager;
import io.dlm.spi.Durations;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One {@link Leadership} campaign (S3): a thread of its own that waits for the lock, keeps the
 * lease alive while it leads, tells the listener, and after a loss starts over, until {@link
 * #close()}. Built only on the manager's public operations ({@code tryAcquire}, K1-K3), so it
 * inherits their guarantees: one holder at a time (M1), tokens that grow across leaders (F1), and
 * a lease that stops being valid at its local deadline even in a process that was paused (K2).
 *
 * <p>The listener is called on this thread only, so its calls never overlap and keep their order.
 */
final class Campaign implements Leadership {

    private static final System.Logger LOG = System.getLogger(Campaign.class.getName());

    /**
     * How long one attempt waits for the lock before it queues again. Long, since a new attempt
     * loses the campaign's place among this manager's waiters (L2); {@link #close()} interrupts
     * the wait anyway.
     */
    private static final Duration ATTEMPT_WAIT = Duration.ofHours(1);

    /** The first pause after a failed attempt (X1, or L3 while the engine still counts a lost lease). */
    private static final long FIRST_RETRY_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final LockManager manager;
    private final String resourceId;
    private final String clientId;
    private final Duration leaseTime;
    private final LeadershipListener listener;
    private final Consumer<Campaign> onEnd;
    /** How long close() waits for the campaign to release and stop. */
    private final long closeWaitNanos;
    /** The longest pause between failed attempts: a fraction of the lease, so a new leader comes soon. */
    private final long maxRetryPauseNanos;

    private final Thread thread;

    private volatile boolean resigned;
    private final CountDownLatch resignation = new CountDownLatch(1);
    /** Completes when the current leadership ends: with its cause, or {@code null} on resignation. */
    private volatile @Nullable CompletableFuture<@Nullable LockException> ending;
    /** The lease of the current leadership, {@code null} while campaigning. */
    private volatile @Nullable Lease current;

    /** Guards {@link #waitingForLock}, so that close() interrupts only a wait, never the listener. */
    private final Object interruptLock = new Object();

    private boolean waitingForLock;

    /** Whether the last attempt failed (as opposed to timing out or resigning): then pause. */
    private boolean failedLastAttempt;

    Campaign(
            LockManager manager,
            String resourceId,
            String clientId,
            Duration leaseTime,
            LeadershipListener listener,
            Duration operationTimeout,
            Consumer<Campaign> onEnd) {
        this.manager = manager;
        this.resourceId = resourceId;
        this.clientId = clientId;
        this.leaseTime = leaseTime;
        this.listener = listener;
        this.onEnd = onEnd;
        // One acquisition that may be in flight when close() interrupts it, then the release.
        this.closeWaitNanos = 2 * Durations.toNanosSaturated(operationTimeout) + TimeUnit.SECONDS.toNanos(1);
        this.maxRetryPauseNanos =
                Math.max(FIRST_RETRY_PAUSE_NANOS, Math.min(TimeUnit.SECONDS.toNanos(2), leaseTime.toNanos() / 4));
        this.thread = new Thread(this::campaign, "dlm-campaign-" + resourceId);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public boolean isLeader() {
        Lease lease = current;
        return lease != null && !resigned && lease.isValid();
    }

    @Override
    public Optional<Lease> current() {
        Lease lease = current;
        return lease != null && !resigned && lease.isValid() ? Optional.of(lease) : Optional.empty();
    }

    @Override
    public void close() {
        resign();
        awaitEnd(System.nanoTime() + closeWaitNanos);
    }

    /** The first half of {@link #close()}: stops campaigning and ends the leadership, without waiting. */
    void resign() {
        if (resigned) {
            return;
        }
        resigned = true;
        resignation.countDown();
        // Written before reading ending, which the campaign writes before reading resigned: one of
        // the two sees the other (see hold()).
        CompletableFuture<@Nullable LockException> leadership = ending;
        if (leadership != null) {
            leadership.complete(null);
        }
        synchronized (interruptLock) {
            if (waitingForLock) {
                thread.interrupt(); // only a wait for the lock or a retry pause is cut short
            }
        }
    }

    /**
     * The second half of {@link #close()}: waits for the campaign to release and stop, until
     * {@code deadlineNanos}; not when called by the listener, on the campaign's own thread.
     */
    void awaitEnd(long deadlineNanos) {
        if (Thread.currentThread() == thread) {
            return; // the campaign ends once the listener returns
        }
        try {
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                thread.join(TimeUnit.NANOSECONDS.toMillis(left) + 1);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void campaign() {
        long pauseNanos = FIRST_RETRY_PAUSE_NANOS;
        try {
            while (!resigned) {
                Lease won = attempt();
                if (won != null) {
                    hold(won);
                    pauseNanos = FIRST_RETRY_PAUSE_NANOS;
                } else if (failedLastAttempt) {
                    pause(pauseNanos);
                    pauseNanos = Math.min(maxRetryPauseNanos, pauseNanos * 2);
                }
            }
        } catch (IllegalStateException managerClosed) {
            // The manager closed (C1): its leases ended with it, and the campaign with them.
        } finally {
            onEnd.accept(this);
        }
    }

    /** One wait for the lock; {@code null} when it was not won (time ran out, failure, resignation). */
    private @Nullable Lease attempt() {
        failedLastAttempt = false;
        if (!waitingForLock(true)) {
            return null;
        }
        try {
            return manager.tryAcquire(resourceId, clientId, ATTEMPT_WAIT, leaseTime)
                    .orElse(null);
        } catch (LockException failure) {
            if (!resigned) {
                failedLastAttempt = true;
                LOG.log(
                        System.Logger.Level.DEBUG,
                        "campaign of '" + clientId + "' for '" + resourceId + "' failed; trying again",
                        failure);
            }
            return null;
        } finally {
            waitingForLock(false);
        }
    }

    /**
     * Marks whether the campaign thread waits for the lock or pauses, the only times close()
     * interrupts it. Leaving the wait clears an interrupt that close() sent too late to matter.
     *
     * @return {@code false} if the campaign resigned already
     */
    private boolean waitingForLock(boolean waiting) {
        synchronized (interruptLock) {
            waitingForLock = waiting && !resigned;
            if (!waiting) {
                Thread.interrupted();
            }
            return waitingForLock || !waiting;
        }
    }

    /** Pauses before the next attempt, with jitter so that campaigners do not retry in step (X1). */
    private void pause(long nanos) {
        if (!waitingForLock(true)) {
            return;
        }
        try {
            long jittered = nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1);
            resignation.await(jittered, TimeUnit.NANOSECONDS);
        } catch (InterruptedException resignedMeanwhile) {
            // close() interrupted the pause; the loop sees the resignation
        } finally {
            waitingForLock(false);
        }
    }

    /** Leads while the lease lasts, then tells the listener it ended. */
    private void hold(Lease won) {
        CompletableFuture<@Nullable LockException> leadership = new CompletableFuture<>();
        Lease lease = new CampaignLease(won, leadership);
        ending = leadership;
        boolean told = false;
        LockException cause = null;
        try {
            if (resigned) {
                leadership.complete(null);
            }
            won.keepAlive();
            won.lost().whenComplete((loss, failure) -> leadership.complete(loss != null ? loss : lossOf(won)));
            current = lease;
            if (!leadership.isDone()) {
                told = true;
                tell(() -> listener.elected(lease), "elected");
            }
            cause = leadership.join();
        } finally {
            current = null;
            ending = null;
            boolean lost = cause != null;
            if (!lost) {
                // Resigned, or ended by a failure above: either way the lock goes (C1, S3).
                cause = stepDown(won, "'" + clientId + "' resigned the leadership of '" + resourceId + "'");
            }
            if (told) {
                LockException revokedBy = cause;
                tell(() -> listener.revoked(revokedBy), "revoked");
            }
            if (lost) {
                // Told first: the release may wait for a renewal still on its way. The engine may
                // still count the lost lease, which would refuse this client's next attempt (L3)
                // until it expires; a token-bound release ends only that acquisition (K4).
                stepDown(won, null);
            }
        }
    }

    private LockException stepDown(Lease lease, @Nullable String why) {
        try {
            lease.release();
        } catch (IllegalStateException | LockException failure) {
            // Closed or failed: the lease expires by itself (C1, X1); the step down stands.
            LOG.log(System.Logger.Level.DEBUG, "release on stepping down from '" + resourceId + "' failed", failure);
        }
        return new LockException(LockError.LOCK_NOT_HELD, why == null ? "the lease was lost" : why);
    }

    private static LockException lossOf(Lease lease) {
        return new LockException(
                LockError.LOCK_NOT_HELD,
                "the lease of '" + lease.resourceId() + "' held by '" + lease.clientId() + "' was lost");
    }

    private void tell(Runnable call, String what) {
        try {
            call.run();
        } catch (VirtualMachineError fatal) {
            throw fatal;
        } catch (Throwable listenerFailure) {
            // The campaign outlives a faulty listener (even one that throws a checked exception
            // it did not declare): the lock's state does not depend on it.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the leadership listener of '" + resourceId + "' threw when told " + what,
                    listenerFailure);
        }
    }

    /**
     * The lease as the listener sees it: releasing it steps down, so the campaign hears of it
     * (a release is not a loss, and {@code lost()} would never complete).
     */
    private static final class CampaignLease implements Lease {
        private final Lease lease;
        private final CompletableFuture<@Nullable LockException> leadership;

        CampaignLease(Lease lease, CompletableFuture<@Nullable LockException> leadership) {
            this.lease = lease;
            this.leadership = leadership;
        }

        private void steppedDown() {
            leadership.complete(new LockException(
                    LockError.LOCK_NOT_HELD,
                    "'" + lease.clientId() + "' stepped down from '" + lease.resourceId() + "'"));
        }

        @Override
        public String resourceId() {
            return lease.resourceId();
        }

        @Override
        public String clientId() {
            return lease.clientId();
        }

        @Override
        public long fencingToken() {
            return lease.fencingToken();
        }

        @Override
        public boolean renew() {
            return lease.renew();
        }

        @Override
        public boolean release() {
            try {
                return lease.release();
            } finally {
                steppedDown();
            }
        }

        @Override
        public void close() {
            try {
                lease.close();
            } finally {
                steppedDown();
            }
        }

        @Override
        public CompletionStage<Boolean> releaseAfterHolding(Duration holdAtLeast) {
            // The caller's callbacks chain after the step-down: one that blocks cannot keep the
            // campaign leading a lock that is free already.
            return lease.releaseAfterHolding(holdAtLeast).whenComplete((outcome, failure) -> steppedDown());
        }

        @Override
        public Lease keepAlive() {
            lease.keepAlive();
            return this;
        }

        @Override
        public boolean isValid() {
            return lease.isValid();
        }

        @Override
        public Duration remaining() {
            return lease.remaining();
        }

        @Override
        public CompletionStage<LockException> lost() {
            return lease.lost();
        }

        @Override
        public String toString() {
            return lease.toString();
        }
    }
}
