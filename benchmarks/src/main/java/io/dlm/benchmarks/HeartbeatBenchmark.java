package io.dlm.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Throughput of a heartbeat of a held lock ({@code heartbeat(r, c)}, which resets the lease, H1)
 * against the floor of any keyed lookup, a {@link java.util.concurrent.ConcurrentHashMap#get}
 * (whose result is compared with the client id, so both sides answer "does c hold r?"), and
 * against {@link LockType#LEASE_MAP}, whose heartbeat is the same lookup plus what any lease
 * renewal needs: a {@link System#nanoTime()} read and a compare-and-set of the deadline.
 *
 * <p>Each thread holds its own resource, taken once at setup with a one-hour lease
 * ({@code lock(r, c, 30 min)}: the lease is twice the timeout, E1), so the measured heartbeats
 * never meet an expired lease; the setup of each iteration checks that the last one succeeded.
 * {@code threads1} runs one thread, {@code threads2} two and {@code threads8} eight threads on one
 * manager, each on its own resource.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.HeartbeatBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s
 * java -jar benchmarks/target/benchmarks.jar io.dlm.benchmarks.HeartbeatBenchmark -f 1 -wi 3 -w 1s -i 5 -r 1s -prof gc
 * }</pre>
 */
@State(Scope.Group)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HeartbeatBenchmark {

    /** Half the lease we want: DLM's lease is twice the lock timeout (E1). */
    private static final long HOUR_LEASE_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(30);

    @Param({"DLM", "CONCURRENT_HASH_MAP", "LEASE_MAP"})
    LockType type;

    LockTable table;

    /** One client holding one resource of its own. */
    @State(Scope.Thread)
    public static class Holder {
        final String clientId = Ids.nextClient();
        final String resourceId = "heartbeat-" + clientId;
        boolean acquired;

        /**
         * Takes the resource the first time this thread runs, and from then on checks that the
         * heartbeats still find it held.
         *
         * @param benchmark the shared table
         */
        @Setup(Level.Iteration)
        public void hold(HeartbeatBenchmark benchmark) {
            if (!acquired) {
                acquired = benchmark.table.lock(resourceId, clientId, HOUR_LEASE_TIMEOUT_MILLIS);
                if (!acquired) {
                    throw new IllegalStateException("could not take " + resourceId);
                }
            } else if (!benchmark.table.heartbeat(resourceId, clientId)) {
                throw new IllegalStateException(resourceId + " was lost: heartbeats measured failures");
            }
        }
    }

    @Setup
    public void setup() {
        table = type.create();
    }

    @TearDown
    public void tearDown() {
        table.close();
    }

    @Benchmark
    @Group("threads1")
    @GroupThreads(1)
    public boolean heartbeat1(Holder holder) {
        return table.heartbeat(holder.resourceId, holder.clientId);
    }

    @Benchmark
    @Group("threads2")
    @GroupThreads(2)
    public boolean heartbeat2(Holder holder) {
        return table.heartbeat(holder.resourceId, holder.clientId);
    }

    @Benchmark
    @Group("threads8")
    @GroupThreads(8)
    public boolean heartbeat8(Holder holder) {
        return table.heartbeat(holder.resourceId, holder.clientId);
    }
}
