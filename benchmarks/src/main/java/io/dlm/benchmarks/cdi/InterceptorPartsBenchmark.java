package io.dlm.benchmarks.cdi;

import java.util.Base64;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Prices, one at a time, the pieces of per-call work the {@code @DistributedLock} interceptor adds
 * beside the backend's acquire and release, rebuilt here from JDK classes exactly as {@code
 * io.dlm.cdi} does them (those classes are package-private):
 *
 * <ul>
 *   <li>{@code clientId}: {@code ClientIds.next()}, a per-JVM prefix ({@code "dlm-cdi-"}, 128
 *       random bits in 22 URL-safe Base64 characters, {@code "-"}) concatenated with an {@link
 *       AtomicLong} counter; a new string of about 35 characters per call.
 *   <li>{@code heartbeatScheduleCancel}: a per-call timer, as the CDI layer's first heartbeat
 *       design had it: {@code scheduleAtFixedRate} on a two-thread {@link
 *       ScheduledThreadPoolExecutor} with remove-on-cancel, at the period used for {@code timeout =
 *       0} (a third of the 1 s E1 lease), then {@code cancel(false)}. With the queue otherwise
 *       empty, each new task becomes its head and wakes a heartbeat thread.
 *   <li>{@code heartbeatRegister}: the cheaper alternative design, for comparison: add the call's
 *       guard to a concurrent set that one fixed-rate task would sweep, and remove it again.
 * </ul>
 *
 * <p>Keep-alive now lives in the runtime ({@code Lease.keepAlive()}); {@link
 * InterceptorOverheadBenchmark#directKeptAlive} prices it with the real manager. The two designs
 * here stay as reference points for it.
 *
 * <p>One thread, like {@link InterceptorOverheadBenchmark}.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar InterceptorPartsBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
public class InterceptorPartsBenchmark {

    private static final String PREFIX =
            "dlm-cdi-" + Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[16]) + "-";
    private static final long PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1) / 3;

    private final AtomicLong next = new AtomicLong();
    private final Set<Runnable> active = ConcurrentHashMap.newKeySet();
    private final Runnable heartbeat = () -> {};

    private ScheduledThreadPoolExecutor scheduler;

    /** Builds a two-thread scheduler with remove-on-cancel, as the per-call timer design had it. */
    @Setup(Level.Trial)
    public void start() {
        AtomicLong count = new AtomicLong();
        scheduler = new ScheduledThreadPoolExecutor(2, task -> {
            Thread thread = new Thread(task, "bench-heartbeat-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Stops the scheduler's threads. */
    @TearDown(Level.Trial)
    public void stop() {
        scheduler.shutdownNow();
    }

    /** A fresh client id, as {@code ClientIds.next()} makes it. */
    @Benchmark
    public String clientId() {
        return PREFIX + next.incrementAndGet();
    }

    /** One call's heartbeat: scheduled at a fixed rate, then cancelled. */
    @Benchmark
    public boolean heartbeatScheduleCancel() {
        ScheduledFuture<?> future =
                scheduler.scheduleAtFixedRate(heartbeat, PERIOD_NANOS, PERIOD_NANOS, TimeUnit.NANOSECONDS);
        return future.cancel(false);
    }

    /** The alternative: register a guard with a sweeper's set, then remove it. */
    @Benchmark
    public void heartbeatRegister(Blackhole bh) {
        Runnable guard = new Guard();
        bh.consume(active.add(guard));
        bh.consume(active.remove(guard));
    }

    /** Stands in for a {@code LeaseGuard}: identity equality, as in the real class. */
    private static final class Guard implements Runnable {
        @Override
        public void run() {}
    }
}
