package io.dlm.benchmarks;

import io.dlm.impl.memory.MemoryLockBackend;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Time to reap {@code expired} leases that have run out while {@code held} other leases stay live,
 * to show that reaping costs time in proportion to what expires, not to what is held (E4).
 *
 * <p>Each iteration fills a fresh {@link MemoryLockBackend} whose clock is a {@link ManualTicker}:
 * {@code held} locks with a one-day lease and {@code expired} locks with a one-second lease. The
 * measured call moves the clock two seconds on, so exactly the short leases are due, and calls
 * {@link MemoryLockBackend#reapExpired()} until it finds nothing more. The iteration's teardown
 * checks that every short lease and no long one was removed. The ticker holds the backend's own
 * reaper thread at its clock from the fill to the check, so the measured thread does all the
 * reaping alone and the time is one thread's work. Compare the rows two ways: the same
 * {@code expired} with {@code held} 0 and 1,000,000 should take about the same time; and
 * {@code expired} 1,000,000 should take about ten times {@code expired} 100,000.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.ReapBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class ReapBenchmark {

    private static final String CLIENT = "reap-client";
    private static final long SHORT_LEASE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long LONG_LEASE_NANOS = TimeUnit.DAYS.toNanos(1);
    private static final Duration PAST_SHORT_LEASES = Duration.ofSeconds(2);

    @Param({"0", "100000", "1000000"})
    int expired;

    @Param({"0", "1000000"})
    int held;

    String[] expiringIds;
    String[] heldIds;

    ManualTicker ticker;
    MemoryLockBackend backend;
    int reaped;
    /** The attempt id each acquisition must carry (X5); unique per backend, so a counter will do. */
    long attempts;

    @Setup(Level.Trial)
    public void makeIds() {
        expiringIds = Ids.resources("expiring-", expired);
        heldIds = Ids.resources("held-", held);
    }

    @Setup(Level.Iteration)
    public void fill() {
        ticker = new ManualTicker();
        ticker.shut();
        backend = new MemoryLockBackend(ticker);
        for (String id : heldIds) {
            acquire(id, LONG_LEASE_NANOS);
        }
        for (String id : expiringIds) {
            acquire(id, SHORT_LEASE_NANOS);
        }
        if (backend.size() != held + expired) {
            throw new IllegalStateException("backend holds " + backend.size() + " entries, not " + (held + expired));
        }
        reaped = 0;
        // Leave the garbage of the previous iteration to a collection now, not during the reap.
        System.gc();
    }

    private void acquire(String resourceId, long leaseNanos) {
        if (!backend.acquire(resourceId, CLIENT, leaseNanos, ++attempts).isAcquired()) {
            throw new IllegalStateException("could not take " + resourceId);
        }
    }

    @Benchmark
    public int reap() {
        ticker.advance(PAST_SHORT_LEASES);
        int total = 0;
        for (int removed; (removed = backend.reapExpired()) > 0; ) {
            total += removed;
        }
        reaped = total;
        return total;
    }

    @TearDown(Level.Iteration)
    public void check() {
        int left = backend.size();
        ticker.open();
        backend.close();
        if (reaped != expired || left != held) {
            throw new IllegalStateException("reaped " + reaped + " of " + expired + " expired leases and left " + left
                    + " entries, expected the " + held + " held");
        }
    }
}
