package io.dlm.benchmarks.zookeeper;

import io.dlm.benchmarks.LockTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Pairs per second of DLM, {@code InterProcessMutex} and a bare create + delete ({@link
 * ZooKeeperEngine}'s {@code DLM}, {@code PEER} and {@code RAW}), measured in turns
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

    private static final List<String> NAMES = List.of("DLM", "PEER", "RAW");

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
        Map<String, List<Double>> rates = new HashMap<>();
        try (ZooKeeperEngine engine = ZooKeeperEngine.start()) {
            Map<String, LockTable> opened = new HashMap<>();
            for (String name : NAMES) {
                opened.put(name, engine.open(name));
                rates.put(name, new ArrayList<>());
                turn(opened.get(name), threads, 1); // warm-up
            }
            for (int round = 1; round <= rounds; round++) {
                StringBuilder line = new StringBuilder("round " + round + ":");
                for (String name : NAMES) {
                    double rate = turn(opened.get(name), threads, seconds);
                    rates.get(name).add(rate);
                    line.append(String.format(Locale.ROOT, " %s %.0f", name, rate));
                }
                System.out.println(line);
            }
            opened.values().forEach(LockTable::close);
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            ratios.add(rates.get("DLM").get(i) / rates.get("PEER").get(i));
        }
        System.out.printf(
                Locale.ROOT,
                "threads %d: median pairs/s DLM %.0f, PEER %.0f, RAW %.0f; median DLM/PEER per round %.2f%n",
                threads,
                median(rates.get("DLM")),
                median(rates.get("PEER")),
                median(rates.get("RAW")),
                median(ratios));
    }

    private static double turn(LockTable locks, int threads, int seconds) throws InterruptedException {
        LongAdder pairs = new LongAdder();
        AtomicBoolean running = new AtomicBoolean(true);
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            String key = "key-" + t;
            String client = "client-" + t;
            Thread worker = new Thread(() -> {
                try {
                    while (running.get()) {
                        if (!locks.lock(key, client, 0) || !locks.unlock(key, client)) {
                            throw new IllegalStateException("an uncontended pair on " + key + " failed");
                        }
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
