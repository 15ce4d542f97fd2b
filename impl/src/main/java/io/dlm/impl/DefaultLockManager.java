package io.dlm.impl;

import io.dlm.EngineContact;
import io.dlm.Leadership;
import io.dlm.LeadershipListener;
import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.LockedWork;
import io.dlm.spi.Acquisition;
import io.dlm.spi.Durations;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LeaseLossListener;
import io.dlm.spi.LockBackend;
import io.dlm.spi.LockBackendProvider;
import io.dlm.spi.LockObserver.WaitOutcome;
import io.dlm.spi.Ticker;
import io.dlm.spi.WatchingLockBackend;
import io.dlm.spi.WatchingLockBackend.Watch;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The runtime's {@link LockManager}: checks arguments, computes leases, queues waiters and maps
 * errors once, for whatever {@link LockBackend} it drives.
 *
 * <p>The uncontended path is the backend call plus a volatile read: the per-resource
 * {@link WaitQueue} map is only looked at while some resource has waiters in this process.
 */
public final class DefaultLockManager implements LockManager {

    /** Returned by the acquisition loop when the time ran out; no backend issues this token. */
    private static final long NOT_ACQUIRED = Long.MIN_VALUE;

    /** First and longest sleep between tries of a backend that cannot notify (L4). */
    private static final long MIN_BACKOFF_NANOS = 5_000_000L;

    private static final long MAX_BACKOFF_NANOS = 500_000_000L;

    private final LockBackend backend;
    private final LockSettings settings;
    private final Ticker ticker;
    private final LeaseKeeper keeper;
    private final PendingUndos pendingUndos;
    /** What this manager holds on a remote engine, released on close (C1); none for in-process spaces. */
    private final @Nullable HeldLocks held;
    /** The backend's lease granularity in nanoseconds; leases are rounded up to it (E1). */
    private final long granularityNanos;
    /** The lease of {@code lock(r, c, 0)}, the commonest call, worked out once (E1). */
    private final long singleTryLeaseNanos;
    /** Waits, holds and losses, for JFR and the observers (O1, O3). */
    private final LockTelemetry telemetry;
    /** The engine's last answers and failures (O2); {@code null} for an in-process backend. */
    private final @Nullable EngineContacts contacts;

    private final String backendName;

    private final ConcurrentHashMap<String, WaitQueue> queues = new ConcurrentHashMap<>();
    /** How many queues exist; zero lets lock and unlock skip the map (the common case). */
    private final AtomicInteger queueCount = new AtomicInteger();

    /** Releases that {@code holdAtLeast} put off (S2). */
    private final DeferredReleases deferredReleases;
    /** Open leadership campaigns, resigned on close (S3). */
    private final Set<Campaign> campaigns = ConcurrentHashMap.newKeySet();

    private volatile boolean closed;
    /** Set first in close(), before the campaigns resign: no campaign starts after it (S3, C1). */
    private volatile boolean closeBegun;
    /**
     * Held for the whole of {@link #close()}, which waits for threads and calls the engine: a lock
     * rather than a monitor, so that a virtual thread closing the manager does not pin its carrier
     * while it waits (JDK 21 to 23).
     */
    private final ReentrantLock closing = new ReentrantLock();

    private DefaultLockManager(
            LockBackend backend, LockSettings settings, LeaseKeeper keeper, LockTelemetry telemetry) {
        this.backend = backend;
        this.telemetry = telemetry;
        this.backendName = telemetry.backend();
        this.contacts = backend instanceof InProcessLockBackend
                ? null
                : new EngineContacts(telemetry.backend(), settings.operationTimeout());
        this.settings = settings;
        this.ticker = keeper.ticker();
        this.keeper = keeper;
        this.deferredReleases = new DeferredReleases(keeper::notify);
        this.pendingUndos =
                new PendingUndos(backend, settings.operationTimeout().toNanos());
        this.held = backend instanceof InProcessLockBackend ? null : new HeldLocks(ticker);
        this.granularityNanos = Math.max(1, Durations.toNanosSaturated(backend.leaseGranularity()));
        this.singleTryLeaseNanos = rounded(settings.leaseNanosForTimeout(0));
    }

    /**
     * Opens a manager over an already open backend, which it then owns and closes.
     *
     * @param backend the backend
     * @param properties {@code dlm.*} settings (E1a)
     * @param ticker the monotonic clock for waits
     * @return the manager
     * @throws IllegalArgumentException naming the key of an invalid setting
     */
    public static LockManager open(LockBackend backend, Map<String, String> properties, Ticker ticker) {
        return open(backend, properties, ticker, name -> LockTelemetry.open(name, properties, ticker));
    }

    /**
     * Opens a manager over an open backend with one given observer instead of those on the class
     * path: for tests of what the runtime tells observers (O1).
     *
     * @param backend the backend
     * @param properties {@code dlm.*} settings (E1a)
     * @param ticker the monotonic clock
     * @param observer the observer
     * @return the manager
     */
    static LockManager open(
            LockBackend backend, Map<String, String> properties, Ticker ticker, io.dlm.spi.LockObserver observer) {
        return open(backend, properties, ticker, name -> LockTelemetry.observedBy(name, ticker, observer));
    }

    private static LockManager open(
            LockBackend backend,
            Map<String, String> properties,
            Ticker ticker,
            Function<String, LockTelemetry> telemetryNamed) {
        LockSettings settings = LockSettings.parse(properties);
        String name = properties.getOrDefault("dlm.backend", backend.getClass().getSimpleName());
        return new DefaultLockManager(
                backend, settings, new LeaseKeeper(backend, settings, ticker), telemetryNamed.apply(name));
    }

    /**
     * Opens a backend with a context that routes its loss reports to the new manager (K3).
     *
     * @param provider opens the backend
     * @param properties every setting
     * @param settings the runtime's parsed settings
     * @param ticker the monotonic clock
     * @return the manager, which owns the backend
     */
    static LockManager open(
            LockBackendProvider provider, Map<String, String> properties, LockSettings settings, Ticker ticker) {
        LossRelay relay = new LossRelay();
        LockBackend backend = provider.open(new DefaultBackendContext(properties, settings, ticker, relay));
        LeaseKeeper keeper = new LeaseKeeper(backend, settings, ticker);
        relay.target = keeper;
        return new DefaultLockManager(
                backend, settings, keeper, LockTelemetry.open(provider.name(), properties, ticker));
    }

    /** Forwards a backend's loss reports to the keeper, which exists only once the backend does. */
    private static final class LossRelay implements LeaseLossListener {
        volatile @Nullable LeaseLossListener target;

        @Override
        public void leaseLost(String resourceId, long fencingToken) {
            LeaseLossListener to = target;
            if (to != null) {
                to.leaseLost(resourceId, fencingToken);
            }
        }

        @Override
        public void allLeasesLost() {
            LeaseLossListener to = target;
            if (to != null) {
                to.allLeasesLost();
            }
        }
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        Arguments.timeoutMillis(timeoutMillis);
        ensureOpen();
        long waitNanos = timeoutMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : timeoutMillis * 1_000_000L;
        long leaseNanos =
                timeoutMillis == 0 ? singleTryLeaseNanos : rounded(settings.leaseNanosForTimeout(timeoutMillis));
        return acquire(resourceId, clientId, waitNanos, leaseNanos, null) != NOT_ACQUIRED;
    }

    @Override
    public Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        Arguments.waitDuration(wait);
        Arguments.leaseTime(leaseTime);
        ensureOpen();
        long leaseNanos = rounded(settings.clampLease(leaseTime));
        // [0]: when the winning request was sent (K2); [1]: the keeper's loss epoch before it.
        long[] sentAt = new long[2];
        long token = acquire(resourceId, clientId, Durations.toNanosSaturated(wait), leaseNanos, sentAt);
        if (token == NOT_ACQUIRED) {
            return Optional.empty();
        }
        return Optional.of(
                new DefaultLease(this, keeper, resourceId, clientId, token, leaseNanos, sentAt[0], sentAt[1]));
    }

    @Override
    public <T, E extends Exception> T withLock(
            String resourceId,
            String clientId,
            Duration wait,
            Duration leaseTime,
            Duration holdAtLeast,
            LockedWork<T, E> work)
            throws E {
        Arguments.holdAtLeast(holdAtLeast);
        Arguments.present("work", work);
        DefaultLease lease = (DefaultLease) tryAcquire(resourceId, clientId, wait, leaseTime)
                .orElseThrow(() -> new LockException(
                        LockError.RESOURCE_LOCKED,
                        "'" + resourceId + "' was not acquired by '" + clientId + "' within " + wait));
        lease.keepAlive();
        T result;
        try {
            result = work.run(lease);
        } catch (Throwable failure) {
            if (holdOn(lease, holdAtLeast)) {
                // A run that failed is a run: held on as well (S2), so that another node does not
                // run the same firing again.
                throw failure;
            }
            LockException loss = finish(lease);
            if (loss != null && loss != failure) {
                failure.addSuppressed(loss);
            }
            throw failure;
        }
        if (holdOn(lease, holdAtLeast)) {
            return result;
        }
        LockException loss = finish(lease);
        if (loss != null) {
            throw loss;
        }
        return result;
    }

    @Override
    public Leadership lead(String resourceId, String clientId, Duration leaseTime, LeadershipListener listener) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        Arguments.leaseTime(leaseTime);
        Arguments.present("listener", listener);
        ensureOpen();
        Campaign campaign = new Campaign(
                this, resourceId, clientId, leaseTime, listener, settings.operationTimeout(), campaigns::remove);
        campaigns.add(campaign);
        if (closeBegun) {
            // close() began and may have resigned the campaigns before this one was added.
            campaigns.remove(campaign);
            throw new IllegalStateException("the lock manager is closed");
        }
        campaign.start();
        return campaign;
    }

    /**
     * Hands a {@link #withLock} lease over to be released in the background when some of its
     * {@code holdAtLeast} is left and it is certainly held (K2), so held to the end of the work
     * (K5); a loss after this is past the work's business (S2).
     *
     * @return {@code false} when the caller must release it now, as without {@code holdAtLeast}
     */
    private boolean holdOn(DefaultLease lease, Duration holdAtLeast) {
        if (lease.nanosLeftToHold(holdAtLeast) <= 0 || !lease.isValid()) {
            return false;
        }
        try {
            lease.releaseAfterHolding(holdAtLeast);
            return true;
        } catch (IllegalStateException closedMeanwhile) {
            return false; // the release now reports how the lease ended, as always (C1)
        }
    }

    /**
     * Releases a {@link #withLock} lease and tells how it ended (K5, as D4).
     *
     * @return {@code null} when it was held to the end, else the exception for the caller
     */
    private static @Nullable LockException finish(DefaultLease lease) {
        boolean released;
        try {
            released = lease.release();
        } catch (IllegalStateException closed) {
            released = false;
        } catch (LockException engineFailure) {
            // The engine failed on release: the lock expires by its lease (X1). A loss seen before
            // is what the caller must hear; otherwise the failure itself.
            return lostCause(lease).orElse(engineFailure);
        }
        if (released) {
            return null;
        }
        return lostCause(lease)
                .orElseGet(() -> new LockException(
                        LockError.LOCK_NOT_HELD,
                        "the lease of '" + lease.resourceId() + "' held by '" + lease.clientId() + "' was lost"));
    }

    private static Optional<LockException> lostCause(DefaultLease lease) {
        return Optional.ofNullable(lease.lossIfReported());
    }

    /** Rounds a lease up to the backend's granularity, saturating (E1, V3). */
    private long rounded(long leaseNanos) {
        if (granularityNanos == 1) {
            return leaseNanos;
        }
        long remainder = leaseNanos % granularityNanos;
        if (remainder == 0) {
            return leaseNanos;
        }
        long up = leaseNanos + (granularityNanos - remainder);
        return up < 0 ? Long.MAX_VALUE - (Long.MAX_VALUE % granularityNanos) : up;
    }

    /** Books a lease's release after {@code delayNanos}, at once when not positive (S2). */
    CompletionStage<Boolean> releaseLater(DefaultLease lease, long delayNanos) {
        return deferredReleases.releaseAfter(lease, delayNanos);
    }

    /** A token-bound release of one acquisition (K4), with the waking and error mapping of unlock. */
    boolean releaseAcquisition(String resourceId, String clientId, long fencingToken) {
        ensureOpen();
        boolean released;
        HoldRecords.Hold hold = telemetry.releasing(resourceId, clientId, fencingToken);
        long started = callStarts();
        try {
            released = backend.release(resourceId, clientId, fencingToken);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("release", resourceId, e));
        }
        answered();
        if (held != null) {
            // Released or found gone: either way there is nothing left to release on close.
            held.released(resourceId, clientId, fencingToken);
        }
        telemetry.releaseAnswered(resourceId, hold, released);
        if (released && queueCount.get() != 0) {
            wakeHead(resourceId);
        }
        return released;
    }

    /** A token-bound renewal of one acquisition (K4). */
    boolean renewAcquisition(String resourceId, String clientId, long fencingToken) {
        ensureOpen();
        boolean renewed;
        long started = callStarts();
        try {
            renewed = backend.renew(resourceId, clientId, fencingToken);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("renew", resourceId, e));
        }
        answered();
        if (renewed) {
            renewedInBackground(resourceId, clientId, fencingToken);
        }
        return renewed;
    }

    /** The keep-alive confirmed a renewal (K1): the lock is held longer. */
    void renewedInBackground(String resourceId, String clientId, long fencingToken) {
        if (held != null) {
            held.renewed(resourceId, clientId, fencingToken);
        }
        telemetry.renewed(resourceId, clientId, fencingToken);
    }

    /** A kept-alive lease's holder has been told of its loss (K3): recorded (O1, O3). */
    void leaseLossReported(String resourceId, String clientId, long fencingToken, long sentAt, String reason) {
        telemetry.leaseLost(resourceId, clientId, fencingToken, sentAt, reason);
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        ensureOpen();
        boolean released;
        HoldRecords.Hold hold = telemetry.releasing(resourceId, clientId, LockBackend.ANY_ACQUISITION);
        long started = callStarts();
        try {
            released = backend.release(resourceId, clientId, LockBackend.ANY_ACQUISITION);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("unlock", resourceId, e));
        }
        answered();
        telemetry.releaseAnswered(resourceId, hold, released);
        if (released) {
            if (held != null) {
                held.released(resourceId, clientId, LockBackend.ANY_ACQUISITION);
            }
            if (queueCount.get() != 0) {
                wakeHead(resourceId);
            }
        }
        return released;
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        ensureOpen();
        boolean renewed;
        long started = callStarts();
        try {
            renewed = backend.renew(resourceId, clientId, LockBackend.ANY_ACQUISITION);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("heartbeat", resourceId, e));
        }
        answered();
        if (renewed) {
            if (held != null) {
                held.renewed(resourceId, clientId, LockBackend.ANY_ACQUISITION);
            }
            telemetry.renewed(resourceId, clientId, LockBackend.ANY_ACQUISITION);
        }
        return renewed;
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        Arguments.id("resourceId", resourceId);
        ensureOpen();
        long started = callStarts();
        Optional<LockInfo> holder;
        try {
            holder = backend.inspect(resourceId);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("inspect", resourceId, e));
        }
        answered();
        return holder;
    }

    @Override
    public EngineContact engineContact() {
        EngineContacts tracked = contacts;
        if (tracked == null) {
            // In-process: the engine is this JVM, and it always answers.
            return new EngineContact(
                    backendName,
                    Optional.of(Duration.ZERO),
                    Optional.empty(),
                    Optional.empty(),
                    Optional.empty(),
                    settings.operationTimeout());
        }
        return tracked.snapshot(ticker.nanoTime());
    }

    /** When an engine call starts, for {@link #failed}; free for an in-process backend. */
    private long callStarts() {
        return contacts == null ? 0 : ticker.nanoTime();
    }

    /** The engine answered a call (O2). */
    private void answered() {
        EngineContacts tracked = contacts;
        if (tracked != null) {
            tracked.answered(ticker.nanoTime());
        }
    }

    /**
     * A call started at {@code started} ended with {@code failure} (O2): without an answer when it
     * is an {@link LockError#INTERNAL_ERROR}, else the engine's answer. Returns the failure.
     */
    private LockException failed(long started, LockException failure) {
        EngineContacts tracked = contacts;
        if (tracked != null) {
            if (failure.error() != LockError.INTERNAL_ERROR) {
                tracked.answered(ticker.nanoTime());
            } else if (!(failure.getCause() instanceof InterruptedException)) {
                // An interrupted call says nothing of the engine (X2).
                tracked.failed(started, ticker.nanoTime(), failure);
            }
        }
        return failure;
    }

    /** A background renewal sent at {@code sent} was answered, or failed (O2). */
    void renewalAnswered(long sent, @Nullable Throwable failure) {
        EngineContacts tracked = contacts;
        if (tracked == null) {
            return;
        }
        if (failure == null) {
            tracked.answered(ticker.nanoTime());
        } else {
            tracked.failed(sent, ticker.nanoTime(), failure);
        }
    }

    @Override
    public void close() {
        // Whole under the lock: a second caller returns only once the first has finished, so
        // that after any close() returns no thread of this manager is left (C1).
        closing.lock();
        try {
            if (closed) {
                return;
            }
            // No campaign starts from now on (lead() checks this after it registered its own).
            closeBegun = true;
            // Still open: resigning and the releases held back by holdAtLeast talk to the engine.
            // All campaigns resign at once, so that none takes the lead another just gave up, and
            // they share one budget with the held-on releases (C1).
            long deadline = System.nanoTime() + settings.operationTimeout().toNanos();
            campaigns.forEach(Campaign::resign);
            for (Campaign campaign : campaigns) {
                campaign.awaitEnd(deadline);
            }
            deferredReleases.close(deadline);
            closed = true;
            queues.values().forEach(WaitQueue::wakeAll);
            keeper.close();
            pendingUndos.close();
            if (held != null) {
                held.releaseAll(backend, settings.operationTimeout().toNanos());
            }
            backend.close();
            telemetry.closed();
        } finally {
            closing.unlock();
        }
    }

    /**
     * Acquires a resource, waiting up to {@code waitNanos} (L1-L5, X2).
     *
     * @param sentAt where to record when the winning request was sent (K2), or {@code null}
     * @return the fencing token, or {@link #NOT_ACQUIRED} when the time ran out
     */
    private long acquire(
            String resourceId, String clientId, long waitNanos, long leaseNanos, long @Nullable [] sentAt) {
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(resourceId);
        }
        Object event = telemetry.waitStarted();
        // The wait counts from here: every engine call made for it spends it, so that only the
        // call in flight when it runs out can outlast it, by one operation timeout at most (X1).
        // The same reading stands for the first try's send time (K2, O2). A single try of lock()
        // with nothing recording it uses neither, and skips the clock read.
        long start = waitNanos == 0 && sentAt == null && contacts == null && event == null && !telemetry.tracksHolds()
                ? 0
                : ticker.nanoTime();
        long token;
        try {
            token = acquireFrom(start, resourceId, clientId, waitNanos, leaseNanos, sentAt);
        } catch (RuntimeException | Error e) {
            telemetry.waitEnded(event, resourceId, clientId, WaitOutcome.ERROR, 0, 0, start);
            throw e;
        }
        if (token == NOT_ACQUIRED) {
            telemetry.waitEnded(event, resourceId, clientId, WaitOutcome.TIMED_OUT, 0, 0, start);
        } else {
            telemetry.waitEnded(event, resourceId, clientId, WaitOutcome.ACQUIRED, token, leaseNanos, start);
        }
        return token;
    }

    private long acquireFrom(
            long start, String resourceId, String clientId, long waitNanos, long leaseNanos, long @Nullable [] sentAt) {
        if (queueCount.get() == 0 || !hasWaiters(resourceId)) {
            Acquisition attempt = tryBackend(resourceId, clientId, leaseNanos, sentAt, start);
            if (attempt.isAcquired()) {
                return keepUnlessClosed(resourceId, clientId, attempt.fencingToken(), leaseNanos);
            }
        } else if (heldByCaller(resourceId, clientId)) {
            // Queued waiters must not be overtaken (L2), but a holder still fails at once (L3).
            throw reentrant(resourceId, clientId);
        }
        if (waitNanos == 0 || ticker.nanoTime() - start >= waitNanos) {
            return NOT_ACQUIRED;
        }
        return awaitTurn(resourceId, clientId, start, waitNanos, leaseNanos, sentAt);
    }

    private long awaitTurn(
            String resourceId, String clientId, long start, long waitNanos, long leaseNanos, long @Nullable [] sentAt) {
        WaitQueue.Waiter waiter = new WaitQueue.Waiter();
        WaitQueue queue = enqueue(resourceId, waiter);
        try {
            watchIfNeeded(resourceId, queue);
            long backoff = MIN_BACKOFF_NANOS;
            // A try may start after the wait ran out only right after a park that ended there: that
            // last look starts at the deadline, so the whole wait still ends within one call of it.
            boolean lastLook = false;
            for (; ; ) {
                // Cleared before every condition that a wake-up announces is looked at (a close
                // too), so that a wake-up whose unpark a backend call used up still stops the park.
                waiter.clearSignal();
                ensureOpenWhileWaiting(resourceId);
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted(resourceId);
                }
                long sleep = Long.MAX_VALUE;
                if (!lastLook && ticker.nanoTime() - start >= waitNanos) {
                    return NOT_ACQUIRED;
                }
                if (queue.isHead(waiter)) {
                    Acquisition attempt = tryBackend(resourceId, clientId, leaseNanos, sentAt, ticker.nanoTime());
                    if (attempt.isAcquired()) {
                        return keepUnlessClosed(resourceId, clientId, attempt.fencingToken(), leaseNanos);
                    }
                    // Wake by the holder's expiry at the latest (E2); a release wakes us sooner.
                    sleep = Math.min(attempt.remainingNanos(), settings.leaseMaxNanos());
                    if (backend instanceof WatchingLockBackend) {
                        // A notification lost with its channel (a reset or silently dead connection)
                        // must not leave the head asleep on a free lock for a whole lease (N4): look
                        // again now and then, jittered so that processes do not look in step.
                        long recheck = settings.waitRecheckNanos();
                        sleep = Math.min(
                                sleep, recheck / 2 + ThreadLocalRandom.current().nextLong(recheck / 2 + 1));
                    } else if (!(backend instanceof InProcessLockBackend)) {
                        sleep = Math.min(
                                sleep, backoff + ThreadLocalRandom.current().nextLong(backoff));
                        backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
                    }
                }
                long left = waitNanos - (ticker.nanoTime() - start);
                if (left <= 0) {
                    return NOT_ACQUIRED;
                }
                if (!waiter.isSignalled()) {
                    LockSupport.parkNanos(this, Math.min(left, sleep));
                }
                lastLook = ticker.nanoTime() - start >= waitNanos;
            }
        } finally {
            leave(resourceId, queue, waiter);
        }
    }

    /**
     * One acquisition attempt, whose request leaves after {@code sent}, a clock reading taken
     * before it (K2: an earlier reading only shortens the local deadline). An attempt that failed may still have been applied by the engine,
     * or may be applied later: it is undone, by its attempt id, before the error is thrown (X5).
     */
    private Acquisition tryBackend(
            String resourceId, String clientId, long leaseNanos, long @Nullable [] sentAt, long sent) {
        Acquisition attempt;
        // Random rather than counted: no shared counter on the hot path, and ids of different
        // managers of the same client do not collide (2^-64 per pair).
        long attemptId = ThreadLocalRandom.current().nextLong();
        // Read before the send: a session lost while the reply travels must end this lease too.
        long epoch = sentAt == null ? 0 : keeper.lossEpoch();
        try {
            attempt = backend.acquire(resourceId, clientId, leaseNanos, attemptId);
        } catch (RuntimeException e) {
            LockException failure = failed(sent, engineFailure("lock", resourceId, e));
            undo(resourceId, clientId, attemptId, leaseNanos);
            throw failure;
        }
        answered();
        if (sentAt != null) {
            sentAt[0] = sent;
            sentAt[1] = epoch;
        }
        if (attempt.status() == Acquisition.Status.HELD_BY_CALLER) {
            throw reentrant(resourceId, clientId);
        }
        return attempt;
    }

    private void undo(String resourceId, String clientId, long attemptId, long leaseNanos) {
        try {
            backend.undo(resourceId, clientId, attemptId);
        } catch (RuntimeException e) {
            // Not confirmed: the engine may still apply the acquisition late (N3), so keep trying
            // in the background; what is never undone expires by its lease.
            pendingUndos.retry(resourceId, clientId, attemptId, leaseNanos);
        }
    }

    private boolean heldByCaller(String resourceId, String clientId) {
        long started = callStarts();
        Optional<LockInfo> holder;
        try {
            holder = backend.inspect(resourceId);
        } catch (RuntimeException e) {
            throw failed(started, engineFailure("lock", resourceId, e));
        }
        answered();
        return holder.map(info -> info.clientId().equals(clientId)).orElse(false);
    }

    /** A waiter that won just as the manager closed must not keep a lock nobody will release. */
    private long keepUnlessClosed(String resourceId, String clientId, long token, long leaseNanos) {
        // Recorded before the check, so that a close() that starts now either sees the record and
        // releases it, or is seen here.
        if (held != null) {
            held.acquired(resourceId, clientId, token, leaseNanos);
        }
        if (closed) {
            try {
                backend.release(resourceId, clientId, token);
            } catch (RuntimeException e) {
                // The lease expires on its own; the caller learns of the close either way.
            }
            throw closedWhileWaiting(resourceId);
        }
        return token;
    }

    private boolean hasWaiters(String resourceId) {
        WaitQueue queue = queues.get(resourceId);
        return queue != null && queue.hasWaiters();
    }

    private WaitQueue enqueue(String resourceId, WaitQueue.Waiter waiter) {
        for (; ; ) {
            WaitQueue queue = queues.get(resourceId);
            if (queue == null) {
                WaitQueue created = new WaitQueue();
                queue = queues.putIfAbsent(resourceId, created);
                if (queue == null) {
                    queueCount.incrementAndGet();
                    queue = created;
                }
            }
            if (queue.enqueue(waiter)) {
                return queue;
            }
            // Retired between lookup and enqueue; its owner is removing it from the map right now.
            Thread.onSpinWait();
        }
    }

    private void watchIfNeeded(String resourceId, WaitQueue queue) {
        if (!(backend instanceof WatchingLockBackend watching) || !queue.needsWatch()) {
            return;
        }
        Watch watch;
        try {
            watch = watching.watch(resourceId, () -> wakeHead(resourceId));
        } catch (RuntimeException e) {
            throw engineFailure("lock", resourceId, e);
        }
        if (!queue.attach(watch)) {
            watch.close();
        }
    }

    private void leave(String resourceId, WaitQueue queue, WaitQueue.Waiter waiter) {
        Watch watch = queue.dequeue(waiter, () -> {
            queues.remove(resourceId, queue);
            queueCount.decrementAndGet();
        });
        if (watch != null) {
            watch.close();
        }
    }

    private void wakeHead(String resourceId) {
        WaitQueue queue = queues.get(resourceId);
        if (queue != null) {
            queue.wakeHead();
        }
    }

    void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("This LockManager is closed");
        }
    }

    private void ensureOpenWhileWaiting(String resourceId) {
        if (closed) {
            throw closedWhileWaiting(resourceId);
        }
    }

    private static LockException closedWhileWaiting(String resourceId) {
        return new LockException(
                LockError.INTERNAL_ERROR, "the manager was closed while acquiring '" + resourceId + "'");
    }

    private static LockException interrupted(String resourceId) {
        // The status stays set (X2): we only looked at it, so the caller still sees it.
        return new LockException(
                LockError.INTERNAL_ERROR,
                "interrupted while acquiring '" + resourceId + "'",
                new InterruptedException());
    }

    private static LockException reentrant(String resourceId, String clientId) {
        return new LockException(
                LockError.RESOURCE_LOCKED,
                "'" + resourceId + "' is already held by '" + clientId + "'; locks are not reentrant");
    }

    private static LockException engineFailure(String operation, String resourceId, RuntimeException cause) {
        if (cause instanceof LockException lockException) {
            return lockException;
        }
        return new LockException(
                LockError.INTERNAL_ERROR, operation + " of '" + resourceId + "' failed: " + cause, cause);
    }

    /**
     * The keeper of this manager's leases; for the runtime's own tests, in this package.
     *
     * @return the keeper
     */
    LeaseKeeper keeper() {
        return keeper;
    }
}
