package io.dlm.benchmarks.zookeeper;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.apache.curator.test.TestingServer;

/**
 * Pairs per second of DLM, {@code InterProcessMutex} and a bare create + delete, measured in turns
 * of a few seconds each, round after round, on one in-process server: on a shared machine whose
 * load drifts, each round's ratio compares types that met about the same load, which JMH's one
 * type after the other cannot. A harness, not a JMH benchmark.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.zookeeper.ZooKeeperInterleaved 8 5 2
 * # threads, rounds, seconds per turn; add -Dzookeeper.forceSync=no before -cp to skip the fsync
 * }</pre>
 */
public final class ZooKeeperInterleaved {

    private static final ZooKeeperLockType[] TYPES = {
        ZooKeeperLockType.DLM, ZooKeeperLockType.CURATOR_MUTEX, ZooKeeperLockType.RAW_CREATE_DELETE
    };

    private ZooKeeperInterleaved() {}

    /**
     * Runs the rounds and prints each turn and the median ratios.
     *
     * @param args threads, rounds, seconds per turn
     * @throws Exception if the server cannot start
     */
    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        Map<ZooKeeperLockType, List<Double>> rates = new EnumMap<>(ZooKeeperLockType.class);
        try (TestingServer server = new TestingServer(true)) {
            Map<ZooKeeperLockType, ZooKeeperLockType.Locks> opened = new EnumMap<>(ZooKeeperLockType.class);
            for (ZooKeeperLockType type : TYPES) {
                opened.put(type, type.open(server.getConnectString()));
                rates.put(type, new ArrayList<>());
                turn(opened.get(type), threads, 1); // warm-up
            }
            for (int round = 1; round <= rounds; round++) {
                StringBuilder line = new StringBuilder("round " + round + ":");
                for (ZooKeeperLockType type : TYPES) {
                    double rate = turn(opened.get(type), threads, seconds);
                    rates.get(type).add(rate);
                    line.append(String.format(Locale.ROOT, " %s %.0f", type, rate));
                }
                System.out.println(line);
            }
            opened.values().forEach(ZooKeeperLockType.Locks::close);
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            ratios.add(rates.get(ZooKeeperLockType.DLM).get(i)
                    / rates.get(ZooKeeperLockType.CURATOR_MUTEX).get(i));
        }
        System.out.printf(
                Locale.ROOT,
                "threads %d: median pairs/s DLM %.0f, CURATOR_MUTEX %.0f, RAW %.0f; median DLM/Curator per round %.2f%n",
                threads,
                median(rates.get(ZooKeeperLockType.DLM)),
                median(rates.get(ZooKeeperLockType.CURATOR_MUTEX)),
                median(rates.get(ZooKeeperLockType.RAW_CREATE_DELETE)),
                median(ratios));
    }

    private static double turn(ZooKeeperLockType.Locks locks, int threads, int seconds) throws InterruptedException {
        LongAdder pairs = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            String key = "key-" + t;
            String client = "client-" + t;
            Thread worker = new Thread(() -> {
                try {
                    while (running.get()) {
                        locks.acquire(key, client);
                        locks.release(key, client);
                        pairs.increment();
                    }
                } finally {
                    done.countDown();
                }
            });
            worker.setDaemon(true);
            worker.start();
        }
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        running.set(false);
        done.await();
        return pairs.sum() / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
