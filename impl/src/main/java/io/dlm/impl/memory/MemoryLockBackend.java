package io.dlm.impl.memory;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.InProcessLockBackend;
import io.dlm.spi.Ticker;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
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
 *
 * <p>The new holding is itself {@code compute}'s remapping function, and inside that step it joins
 * its wheel stripe's arrivals with one compare-and-set that also gives it its token ({@link
 * ExpiryWheel.Stripe#push}). So an uncontended acquisition allocates the holding and the map node
 * (and the {@code ReservationNode} of {@code compute} on an empty bin) and nothing else, and a
 * release of a lease not yet filed in the wheel does no wheel work at all.
 */
public final class MemoryLockBackend implements InProcessLockBackend {

    /**
     * Sized for more bins than a small lock space needs: {@code compute} locks its bin even when it
     * is empty, and with the default 16 bins a few threads on different resources share bins often
     * enough that one descheduled inside its step blocks the others (8 KiB of table per space).
     */
    private final ConcurrentHashMap<String, Holding> holdings = new ConcurrentHashMap<>(1024);

    private final Ticker ticker;
    private final ExpiryWheel wheel;

    private final @Nullable Reaper reaper;

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
        this.wheel = new ExpiryWheel(ticker.nanoTime(), this::forget);
        this.reaper = reaping ? new Reaper(this) : null;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attemptId) {
        Holding candidate =
                new Holding(resourceId, clientId, leaseNanos, attemptId, ticker.nanoTime(), wheel.stripeOf(resourceId));
        // Taking the resource, the candidate joins its stripe's arrivals and draws its token there.
        Holding current = holdings.compute(resourceId, candidate);
        if (current != candidate) {
            return notAcquired(candidate, current, clientId);
        }
        // A holding it replaced has ended; the wheel drops it when its bucket comes due.
        wheel.arrived(candidate);
        if (reaper != null) {
            reaper.wake();
        }
        // Kept small (the refusal is a method of its own) so that it inlines into the runtime's
        // call, where escape analysis can drop this record; whether it does varies by JIT run.
        return Acquisition.acquired(candidate.fencingToken);
    }

    private Acquisition notAcquired(Holding candidate, Holding current, String clientId) {
        // The deadline seen inside compute, not a fresh read: the holder may have ended since,
        // and an ended deadline is no deadline to sleep until. The clock is read again so a stall
        // since does not stretch the wait beyond the real expiry.
        long remaining = Math.max(1, candidate.observedDeadline() - ticker.nanoTime());
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
        return wheel.advance(ticker.nanoTime());
    }

    boolean hasScheduledLeases() {
        return !wheel.isEmpty();
    }

    /**
     * Counts the leases pushed on the wheel's arrivals and not filed yet, for tests of their bound;
     * exact only while nothing runs concurrently.
     *
     * @return how many wait to be filed
     */
    int unfiledArrivals() {
        return wheel.unfiledArrivals();
    }

    /**
     * The number of the wheel's stripes, each with arrivals of its own, for the same tests.
     *
     * @return the stripe count
     */
    int wheelStripes() {
        return wheel.stripeCount();
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
        wheel.clear();
    }
}
