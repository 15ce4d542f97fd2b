package io.dlm.benchmarks;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The floor under {@link HandoffBenchmark} on the {@code memory} engine: a turn passed between two
 * parked threads with no lock table at all, each sample again spanning two handoffs to a parked
 * thread. The {@code condition} group passes a turn under a {@link ReentrantLock} with a {@link
 * Condition}; the {@code queue} group plays ping-pong over two {@link SynchronousQueue}s (read its
 * {@code ping} rows). Read the p0.50 rows.
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar 'io.dlm.benchmarks.Handoff(Baselines)?Benchmark' -p engine=memory -f 1 -wi 3 -w 1s -i 5 -r 1s
 * }</pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HandoffBaselinesBenchmark {

    /** How long a side waits for its partner before deciding that it has stopped. */
    private static final long PARTNER_TIMEOUT_MILLIS = 100;

    /** One side of a ping-pong. */
    @State(Scope.Thread)
    public static class Client {
        final String clientId = Ids.nextClient();
    }

    /** A turn that two threads pass back and forth under a JDK lock and condition. */
    @State(Scope.Group)
    public static class Turns {
        final ReentrantLock lock = new ReentrantLock();
        final Condition changed = lock.newCondition();

        // Guarded by lock.
        @Nullable
        String lastTurn;
    }

    /** Two rendezvous channels, one for each direction. */
    @State(Scope.Group)
    public static class Channels {
        final SynchronousQueue<String> ping = new SynchronousQueue<>();
        final SynchronousQueue<String> pong = new SynchronousQueue<>();
    }

    @Benchmark
    @Group("condition")
    @GroupThreads(2)
    public boolean condition(Turns turns, Client client) throws InterruptedException {
        turns.lock.lock();
        try {
            while (client.clientId.equals(turns.lastTurn)) {
                // Timed, so that the side left alone when the other one stops does not hang.
                if (!turns.changed.await(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
                    return false;
                }
            }
            turns.lastTurn = client.clientId;
            turns.changed.signal();
            return true;
        } finally {
            turns.lock.unlock();
        }
    }

    @Benchmark
    @Group("queue")
    @GroupThreads(1)
    public @Nullable String ping(Channels channels, Client client) throws InterruptedException {
        // Timed calls, so that the side left alone when the other one stops does not hang.
        if (!channels.ping.offer(client.clientId, PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
            return null;
        }
        return channels.pong.poll(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Benchmark
    @Group("queue")
    @GroupThreads(1)
    public @Nullable String pong(Channels channels, Client client) throws InterruptedException {
        String ball = channels.ping.poll(PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        if (ball != null) {
            channels.pong.offer(client.clientId, PARTNER_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        }
        return ball;
    }
}
