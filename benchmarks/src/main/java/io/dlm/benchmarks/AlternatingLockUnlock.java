package io.dlm.benchmarks;

import io.dlm.impl.memory.MemoryLockBackend;
import io.dlm.spi.LockBackend;
import io.dlm.spi.Ticker;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The lock + unlock pair of {@link LockUnlockBenchmark} at one thread, for a shared machine: DLM's
 * in-memory manager, its backend called directly (the runtime left out), and {@link
 * LockType#LEASE_MAP}, in turns of 200,000 pairs in one JVM, each turn timed by the wall clock and
 * by the thread's own CPU time. Prints the median time per pair of each and DLM's ratio to the
 * lease table.
 *
 * <p>Why: JMH runs DLM and {@code LEASE_MAP} one after the other, ten seconds apart, so on a
 * machine that other builds share they meet different loads, and the ratio of two such runs moves
 * by more than the differences worth measuring. Here both meet the same load, turn by turn, and the
 * thread's CPU time leaves out the time it was descheduled. Not a JMH benchmark: no forks, no
 * blackholes (the results are summed and printed instead), so read its ratios beside JMH's, not
 * instead of them.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.AlternatingLockUnlock [distinctKeys] [seconds]
 * }</pre>
 */
public final class AlternatingLockUnlock {

    private static final int SIZE = 1 << 14;
    private static final int MASK = SIZE - 1;
    private static final int PAIRS_PER_TURN = 200_000;
    /** Turns of each left out at the start, while the JIT compiles. */
    private static final int WARM_UP_TURNS = 10;
    /** {@code lock(r, c, 0)}'s lease with the default settings (E1): one second. */
    private static final long LEASE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final String[] NAMES = {"DLM", "backend alone", "LEASE_MAP"};

    private AlternatingLockUnlock() {}

    /**
     * Runs the comparison.
     *
     * @param args optionally, the number of distinct keys (default 10,000) and the seconds to run
     *     (default 20)
     */
    public static void main(String[] args) {
        int distinct = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String[] keys = Ids.sequence(distinct, SIZE);
        String client = Ids.nextClient();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        LockTable dlm = LockType.DLM.create();
        MemoryLockBackend backend = new MemoryLockBackend(Ticker.system());
        LockTable leaseMap = LockType.LEASE_MAP.create();
        List<List<Double>> wall = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        List<List<Double>> cpu = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        long sum = 0;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (int turn = 0; System.nanoTime() - end < 0; turn++) {
            for (int i = 0; i < NAMES.length; i++) {
                // The order rotates, so that none always follows the same one.
                int which = (turn + i) % NAMES.length;
                long wallStart = System.nanoTime();
                long cpuStart = threads.getCurrentThreadCpuTime();
                sum += switch (which) {
                    case 0 -> dlmPairs(dlm, keys, client);
                    case 1 -> backendPairs(backend, keys, client);
                    default -> leaseMapPairs(leaseMap, keys, client);
                };
                long cpuTook = threads.getCurrentThreadCpuTime() - cpuStart;
                long wallTook = System.nanoTime() - wallStart;
                if (turn >= WARM_UP_TURNS) {
                    wall.get(which).add((double) wallTook / PAIRS_PER_TURN);
                    cpu.get(which).add((double) cpuTook / PAIRS_PER_TURN);
                }
            }
        }
        dlm.close();
        backend.close();
        leaseMap.close();
        System.out.printf(
                "%d distinct keys, %d turns of %,d pairs each (%d successful calls)%n",
                distinct, wall.get(0).size(), PAIRS_PER_TURN, sum);
        for (int i = 0; i < NAMES.length; i++) {
            System.out.printf(
                    "%-14s wall %6.1f ns per pair (quartiles %.1f to %.1f), CPU %6.1f ns (quartiles %.1f to %.1f)%n",
                    NAMES[i],
                    quantile(wall.get(i), 0.5),
                    quantile(wall.get(i), 0.25),
                    quantile(wall.get(i), 0.75),
                    quantile(cpu.get(i), 0.5),
                    quantile(cpu.get(i), 0.25),
                    quantile(cpu.get(i), 0.75));
        }
        System.out.printf(
                "DLM / LEASE_MAP: wall %.2f, CPU %.2f; backend alone / LEASE_MAP: wall %.2f, CPU %.2f%n",
                quantile(wall.get(0), 0.5) / quantile(wall.get(2), 0.5),
                quantile(cpu.get(0), 0.5) / quantile(cpu.get(2), 0.5),
                quantile(wall.get(1), 0.5) / quantile(wall.get(2), 0.5),
                quantile(cpu.get(1), 0.5) / quantile(cpu.get(2), 0.5));
    }

    // Two copies of one loop, so that each call site sees one implementation only, as in JMH's
    // separate forks; a shared one would call both through a slower two-way dispatch.
    private static long dlmPairs(LockTable table, String[] keys, String client) {
        long successes = 0;
        for (int i = 0; i < PAIRS_PER_TURN; i++) {
            String key = keys[i & MASK];
            if (table.lock(key, client, 0)) {
                successes++;
            }
            if (table.unlock(key, client)) {
                successes++;
            }
        }
        return successes;
    }

    private static long leaseMapPairs(LockTable table, String[] keys, String client) {
        long successes = 0;
        for (int i = 0; i < PAIRS_PER_TURN; i++) {
            String key = keys[i & MASK];
            if (table.lock(key, client, 0)) {
                successes++;
            }
            if (table.unlock(key, client)) {
                successes++;
            }
        }
        return successes;
    }

    private static long backendPairs(MemoryLockBackend backend, String[] keys, String client) {
        long successes = 0;
        for (int i = 0; i < PAIRS_PER_TURN; i++) {
            String key = keys[i & MASK];
            if (backend.acquire(key, client, LEASE_NANOS, i).isAcquired()) {
                successes++;
            }
            if (backend.release(key, client, LockBackend.ANY_ACQUISITION)) {
                successes++;
            }
        }
        return successes;
    }

    private static double quantile(List<Double> values, double q) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.round(q * (sorted.size() - 1))));
    }
}
