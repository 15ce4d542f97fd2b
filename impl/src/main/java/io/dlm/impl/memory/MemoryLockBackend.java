package io.dlm.impl.memory;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory backend: a private lock space of this JVM (provider name {@code memory}).
 *
 * <p>Each held lock is one {@link ConcurrentHashMap} entry whose value, a {@link Holding}, is also
 * a node of the {@link ExpiryWheel}. An acquisition is one atomic {@code compute} on its key, so the
 * fencing token is drawn while no other acquisition of the resource can run (F1). Releases and
 * heartbeats do not lock at all: they compare-and-set the lease's deadline (H3). An expired lease
 * is free the moment its deadline passes, because every step reads the clock (E2); the reaper only
 * gives the memory back (E4).
 */
public final class MemoryLockBackend implements InProcessLockBackend {

    private final ConcurrentHashMap<String, Holding> holdings = new ConcurrentHashMap<>();
    private final FencingSequence tokens = new FencingSequence();
    private final Ticker ticker;
    private final ExpiryWheel wheel;
    private final @Nullable Reaper reaper;
    private final Consumer<Holding> forget = this::forget;

    /**
     * Creates an empty lock space with its reaper thread.
     *
     * @param ticker the monotonic clock that measures leases (E3)
     */
    public MemoryLockBackend(Ticker ticker) {
        this(ticker, true);
    }

    /**
     * Creates an empty lock space; without a reaper thread only {@link #reapExpired()} reclaims.
     *
     * @param ticker the monotonic clock that measures leases (E3)
     * @param reaping whether to run the reaper thread; tests that step time turn it off
     */
    MemoryLockBackend(Ticker ticker, boolean reaping) {
        this.ticker = ticker;
        this.wheel = new ExpiryWheel(ticker.nanoTime());
        this.reaper = reaping ? new Reaper(this) : null;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attemptId) {
        long now = ticker.nanoTime();
        Attempt attempt = new Attempt(clientId, leaseNanos, attemptId, now);
        Holding current = holdings.compute(resourceId, attempt);
        if (current == attempt.created) {
            Holding replaced = attempt.replaced;
            if (replaced != null) {
                wheel.remove(replaced);
            }
            if (wheel.add(current) && reaper != null) {
                reaper.wake();
            }
            return Acquisition.acquired(current.fencingToken);
        }
        // The deadline seen inside compute, not a fresh read: the holder may have ended since,
        // and ENDED is no deadline to sleep until. The clock is read again so a stall since does
        // not stretch the wait beyond the real expiry.
        long remaining = Math.max(1, attempt.observedDeadline - ticker.nanoTime());
        return clientId.equals(current.clientId) ? Acquisition.heldByCaller(remaining) : Acquisition.held(remaining);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        Holding holding = holdings.get(resourceId);
        if (holding == null || !holding.isOf(clientId, fencingToken) || !holding.endIfLive(ticker.nanoTime())) {
            return false;
        }
        holdings.remove(resourceId, holding);
        wheel.remove(holding);
        return true;
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        Holding holding = holdings.get(resourceId);
        return holding != null && holding.isOf(clientId, fencingToken) && holding.renewIfLive(ticker.nanoTime());
    }

    /**
     * Ends the holding if that attempt made it (X5). In-process acquisitions always answer, so the
     * runtime calls this only when something between it and this backend lost the answer.
     */
    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        Holding holding = holdings.get(resourceId);
        if (holding != null
                && holding.attempt == attempt
                && holding.clientId.equals(clientId)
                && holding.endIfLive(ticker.nanoTime())) {
            holdings.remove(resourceId, holding);
            wheel.remove(holding);
        }
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        Holding holding = holdings.get(resourceId);
        if (holding == null) {
            return Optional.empty();
        }
        long remaining = holding.remainingOrSeal(ticker.nanoTime());
        if (remaining <= 0) {
            return Optional.empty();
        }
        return Optional.of(
                new LockInfo(resourceId, holding.clientId, holding.fencingToken, Duration.ofNanos(remaining)));
    }

    /**
     * Counts the map's entries, including expired leases the reaper has not reclaimed yet.
     *
     * @return the number of entries
     */
    public int size() {
        return holdings.size();
    }

    /**
     * Reclaims every lease that has expired by now, at a cost in proportion to them (E4). The
     * reaper thread calls this on its own; tests and benchmarks may call it directly.
     *
     * @return how many expired leases were reclaimed
     */
    public int reapExpired() {
        return wheel.advance(ticker.nanoTime(), forget);
    }

    boolean hasScheduledLeases() {
        return !wheel.isEmpty();
    }

    private void forget(Holding expired) {
        holdings.remove(expired.resourceId, expired);
    }

    /**
     * Stops the reaper and drops every lease; the space is private to its manager, so nobody else
     * can be waiting for them (C1).
     */
    @Override
    public void close() {
        if (reaper != null) {
            reaper.stop();
        }
        holdings.clear();
    }

    /**
     * The remapping step of one acquisition: takes the resource when it is free or its lease is
     * over, and remembers what it created and replaced. A class rather than a lambda, because the
     * caller needs both results back.
     */
    private final class Attempt implements BiFunction<String, Holding, Holding> {
        private final String clientId;
        private final long leaseNanos;
        private final long attemptId;
        private final long now;

        @Nullable
        Holding created;

        @Nullable
        Holding replaced;

        /** When the current holder is kept: the live deadline this attempt compared against. */
        long observedDeadline;

        Attempt(String clientId, long leaseNanos, long attemptId, long now) {
            this.clientId = clientId;
            this.leaseNanos = leaseNanos;
            this.attemptId = attemptId;
            this.now = now;
        }

        @Override
        public Holding apply(String resourceId, Holding current) {
            if (current != null) {
                long observed = current.deadline();
                if (observed != Holding.ENDED && observed - now > 0) {
                    observedDeadline = observed;
                    return current;
                }
                if (!current.endIfExpired(now)) {
                    // Renewed between the two reads: it is live, until at least the new deadline.
                    observedDeadline = current.deadline();
                    return current;
                }
            }
            replaced = current;
            created = new Holding(resourceId, clientId, tokens.next(resourceId), leaseNanos, attemptId, now);
            return created;
        }
    }
}
