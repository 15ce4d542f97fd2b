package io.dlm.benchmarks.cost;

import io.dlm.benchmarks.ManyWaitersBenchmark;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * {@link ManyWaitersBenchmark} with the length of the queue as a parameter: {@code waiters}
 * threads (platform or virtual) wait for one lock, queued in a known order, and the operation is
 * the lock's trip down the whole queue, {@code handOffThroughTheQueue}, inherited. The score is the
 * time of that whole trip (this class does not divide it); the time of one handoff (the trip over
 * {@code waiters}, as the operation timed itself) and the heap per parked waiter are secondary results
 * through {@link CostProfiler}: {@code handoffMicros} and {@code heapBytesPerWaiter}. A queue of
 * one measures a single handoff, whose heap figure is one thread's against the noise of a whole
 * heap reading.
 *
 * <pre>{@code
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar benchmarks/target/benchmarks.jar \
 *     io.dlm.benchmarks.cost.WaitersCurveBenchmark -f 1 -wi 1 -i 3 -prof io.dlm.benchmarks.cost.CostProfiler
 * }</pre>
 *
 * <p>Virtual threads need Java 21 or later.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@OperationsPerInvocation(1)
public class WaitersCurveBenchmark extends ManyWaitersBenchmark {

    @Param({"1", "10", "100", "1000", "10000"})
    int waiters;

    @Override
    protected int waiterCount() {
        return waiters;
    }

    /** Hands the last operation's figures to {@link CostProfiler}. */
    @TearDown(Level.Iteration)
    public void record() {
        CostReadings.put("handoffMicros", lastPassNanos() / 1e3 / waiters, "us/handoff");
        lastHeapPerWaiter().ifPresent(heap -> CostReadings.put("heapBytesPerWaiter", heap, "B/waiter"));
    }
}
