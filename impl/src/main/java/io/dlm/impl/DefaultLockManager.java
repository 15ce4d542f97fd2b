package io.dlm.impl;

import io.dlm.Lease;
import io.dlm.LockError;
import io.dlm.LockException;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.WatchingLockBackend;
import io.dlm.spi.WatchingLockBackend.Watch;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

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
    private final ConcurrentHashMap<String, WaitQueue> queues = new ConcurrentHashMap<>();
    /** How many queues exist; zero lets lock and unlock skip the map (the common case). */
    private final AtomicInteger queueCount = new AtomicInteger();

    private volatile boolean closed;

    private DefaultLockManager(LockBackend backend, LockSettings settings, Ticker ticker) {
        this.backend = backend;
        this.settings = settings;
        this.ticker = ticker;
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
        return new DefaultLockManager(backend, LockSettings.parse(properties), ticker);
    }

    static LockManager open(LockBackend backend, LockSettings settings) {
        return new DefaultLockManager(backend, settings, Ticker.system());
    }

    @Override
    public boolean lock(String resourceId, String clientId, long timeoutMillis) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        Arguments.timeoutMillis(timeoutMillis);
        ensureOpen();
        long waitNanos = timeoutMillis >= Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : timeoutMillis * 1_000_000L;
        return acquire(resourceId, clientId, waitNanos, settings.leaseNanosForTimeout(timeoutMillis)) != NOT_ACQUIRED;
    }

    @Override
    public Optional<Lease> tryAcquire(String resourceId, String clientId, Duration wait, Duration leaseTime) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        Arguments.waitDuration(wait);
        Arguments.leaseTime(leaseTime);
        ensureOpen();
        long token = acquire(resourceId, clientId, Durations.toNanosSaturated(wait), settings.clampLease(leaseTime));
        return token == NOT_ACQUIRED
                ? Optional.empty()
                : Optional.of(new DefaultLease(this, resourceId, clientId, token));
    }

    @Override
    public boolean unlock(String resourceId, String clientId) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        ensureOpen();
        boolean released;
        try {
            released = backend.release(resourceId, clientId);
        } catch (RuntimeException e) {
            throw engineFailure("unlock", resourceId, e);
        }
        if (released && queueCount.get() != 0) {
            wakeHead(resourceId);
        }
        return released;
    }

    @Override
    public boolean heartbeat(String resourceId, String clientId) {
        Arguments.id("resourceId", resourceId);
        Arguments.id("clientId", clientId);
        ensureOpen();
        try {
            return backend.renew(resourceId, clientId);
        } catch (RuntimeException e) {
            throw engineFailure("heartbeat", resourceId, e);
        }
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        Arguments.id("resourceId", resourceId);
        ensureOpen();
        try {
            return backend.inspect(resourceId);
        } catch (RuntimeException e) {
            throw engineFailure("inspect", resourceId, e);
        }
    }

    @Override
    public void close() {
        // Whole under the monitor: a second caller returns only once the first has finished, so
        // that after any close() returns no thread of this manager is left (C1).
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            queues.values().forEach(WaitQueue::wakeAll);
            backend.close();
        }
    }

    /**
     * Acquires a resource, waiting up to {@code waitNanos} (L1-L5, X2).
     *
     * @return the fencing token, or {@link #NOT_ACQUIRED} when the time ran out
     */
    private long acquire(String resourceId, String clientId, long waitNanos, long leaseNanos) {
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(resourceId);
        }
        if (queueCount.get() == 0 || !hasWaiters(resourceId)) {
            Acquisition attempt = tryBackend(resourceId, clientId, leaseNanos);
            if (attempt.isAcquired()) {
                return keepUnlessClosed(resourceId, clientId, attempt.fencingToken());
            }
        } else if (heldByCaller(resourceId, clientId)) {
            // Queued waiters must not be overtaken (L2), but a holder still fails at once (L3).
            throw reentrant(resourceId, clientId);
        }
        if (waitNanos == 0) {
            return NOT_ACQUIRED;
        }
        return awaitTurn(resourceId, clientId, ticker.nanoTime(), waitNanos, leaseNanos);
    }

    private long awaitTurn(String resourceId, String clientId, long start, long waitNanos, long leaseNanos) {
        WaitQueue.Waiter waiter = new WaitQueue.Waiter();
        WaitQueue queue = enqueue(resourceId, waiter);
        try {
            watchIfNeeded(resourceId, queue);
            long backoff = MIN_BACKOFF_NANOS;
            for (; ; ) {
                ensureOpenWhileWaiting(resourceId);
                if (Thread.currentThread().isInterrupted()) {
                    throw interrupted(resourceId);
                }
                waiter.clearSignal();
                long sleep = Long.MAX_VALUE;
                if (queue.isHead(waiter)) {
                    Acquisition attempt = tryBackend(resourceId, clientId, leaseNanos);
                    if (attempt.isAcquired()) {
                        return keepUnlessClosed(resourceId, clientId, attempt.fencingToken());
                    }
                    // Wake by the holder's expiry at the latest (E2); a release wakes us sooner.
                    sleep = Math.min(attempt.remainingNanos(), settings.leaseMaxNanos());
                    if (!(backend instanceof InProcessLockBackend) && !(backend instanceof WatchingLockBackend)) {
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
            }
        } finally {
            leave(resourceId, queue, waiter);
        }
    }

    private Acquisition tryBackend(String resourceId, String clientId, long leaseNanos) {
        Acquisition attempt;
        try {
            attempt = backend.acquire(resourceId, clientId, leaseNanos);
        } catch (RuntimeException e) {
            throw engineFailure("lock", resourceId, e);
        }
        if (attempt.status() == Acquisition.Status.HELD_BY_CALLER) {
            throw reentrant(resourceId, clientId);
        }
        return attempt;
    }

    private boolean heldByCaller(String resourceId, String clientId) {
        try {
            return backend.inspect(resourceId)
                    .map(info -> info.clientId().equals(clientId))
                    .orElse(false);
        } catch (RuntimeException e) {
            throw engineFailure("lock", resourceId, e);
        }
    }

    /** A waiter that won just as the manager closed must not keep a lock nobody will release. */
    private long keepUnlessClosed(String resourceId, String clientId, long token) {
        if (closed) {
            try {
                backend.release(resourceId, clientId);
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
}
