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
import java.util.concurrent.CountDownLatch;
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
     * How long one attempt waits for the lock before it queues again. Any length works, since
     * {@link #close()} interrupts the wait; this one keeps a campaign's request fresh on engines
     * that forget a waiter they have not heard from.
     */
    private static final Duration ATTEMPT_WAIT = Duration.ofSeconds(30);

    /** The pause after an engine failure, before the next attempt (X1). */
    private static final long RETRY_PAUSE_MILLIS = 250;

    private final LockManager manager;
    private final String resourceId;
    private final String clientId;
    private final Duration leaseTime;
    private final LeadershipListener listener;
    private final Consumer<Campaign> onEnd;
    /** How long close() waits for the campaign to release and stop. */
    private final long closeWaitNanos;

    private final Thread thread;

    private volatile boolean resigned;
    private final CountDownLatch resignation = new CountDownLatch(1);
    /** Completes when the current leadership ends: with the loss, or {@code null} on resignation. */
    private volatile @Nullable CompletableFuture<@Nullable LockException> ending;
    /** The lease of the current leadership, {@code null} while campaigning. */
    private volatile @Nullable Lease current;

    /** Guards {@link #waitingForLock}, so that close() interrupts only a wait, never the listener. */
    private final Object interruptLock = new Object();

    private boolean waitingForLock;

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
        this.thread = new Thread(this::campaign, "dlm-campaign-" + resourceId);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public boolean isLeader() {
        Lease lease = current;
        return lease != null && lease.isValid();
    }

    @Override
    public Optional<Lease> current() {
        Lease lease = current;
        return lease != null && lease.isValid() ? Optional.of(lease) : Optional.empty();
    }

    @Override
    public void close() {
        if (!resigned) {
            resigned = true;
            resignation.countDown();
            // Written before reading ending, which the campaign writes before reading resigned:
            // one of the two sees the other (see hold()).
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
        if (Thread.currentThread() == thread) {
            return; // called by the listener: the campaign ends once the listener returns
        }
        try {
            thread.join(TimeUnit.NANOSECONDS.toMillis(closeWaitNanos) + 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void campaign() {
        try {
            while (!resigned) {
                Lease won = attempt();
                if (won != null) {
                    hold(won);
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
        if (!waitingForLock(true)) {
            return null;
        }
        try {
            return manager.tryAcquire(resourceId, clientId, ATTEMPT_WAIT, leaseTime)
                    .orElse(null);
        } catch (LockException failure) {
            if (!resigned) {
                LOG.log(
                        System.Logger.Level.DEBUG,
                        "campaign of '" + clientId + "' for '" + resourceId + "' failed; trying again",
                        failure);
                pauseBeforeRetry();
            }
            return null;
        } finally {
            waitingForLock(false);
        }
    }

    /**
     * Marks whether the campaign thread waits for the lock, the only time close() interrupts it.
     * Leaving the wait clears an interrupt that close() sent too late to matter.
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

    private void pauseBeforeRetry() {
        try {
            resignation.await(RETRY_PAUSE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException resignedMeanwhile) {
            // close() interrupted the pause; the loop sees the resignation
        }
    }

    /** Leads while the lease lasts, then tells the listener it ended. */
    private void hold(Lease lease) {
        CompletableFuture<@Nullable LockException> leadership = new CompletableFuture<>();
        ending = leadership;
        if (resigned) {
            leadership.complete(null);
        }
        lease.keepAlive();
        lease.lost().whenComplete((cause, failure) -> leadership.complete(cause != null ? cause : lossOf(lease)));
        current = lease;
        boolean told = false;
        if (!leadership.isDone()) {
            told = true;
            tell(() -> listener.elected(lease), "elected");
        }
        LockException cause = leadership.join();
        current = null;
        ending = null;
        if (cause == null) {
            cause = resign(lease);
        }
        if (told) {
            LockException revokedBy = cause;
            tell(() -> listener.revoked(revokedBy), "revoked");
        }
    }

    private LockException resign(Lease lease) {
        try {
            lease.release();
        } catch (IllegalStateException | LockException failure) {
            // Closed or failed: the lease expires by itself (C1, X1); the resignation stands.
            LOG.log(System.Logger.Level.DEBUG, "release on resignation of '" + resourceId + "' failed", failure);
        }
        return new LockException(
                LockError.LOCK_NOT_HELD, "'" + clientId + "' resigned the leadership of '" + resourceId + "'");
    }

    private LockException lossOf(Lease lease) {
        return new LockException(
                LockError.LOCK_NOT_HELD,
                "the lease of '" + lease.resourceId() + "' held by '" + lease.clientId() + "' was lost");
    }

    private void tell(Runnable call, String what) {
        try {
            call.run();
        } catch (RuntimeException | LinkageError | AssertionError listenerFailure) {
            // The campaign outlives a faulty listener: the lock's state does not depend on it.
            LOG.log(
                    System.Logger.Level.WARNING,
                    "the leadership listener of '" + resourceId + "' threw when told " + what,
                    listenerFailure);
        }
    }
}
