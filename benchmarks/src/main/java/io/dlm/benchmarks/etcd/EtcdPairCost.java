package io.dlm.benchmarks.etcd;

import io.dlm.benchmarks.LockTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * What one uncontended acquire + release pair costs on etcd, for each implementation of {@link
 * EtcdEngine} in turn,
 * counted rather than timed, on a fresh single-member etcd per implementation: Raft writes
 * (entries committed, {@code etcd_server_proposals_committed_total}), WAL fsyncs ({@code
 * etcd_disk_wal_fsync_duration_seconds_count}, fewer than writes once concurrent writes share an
 * fsync), gRPC calls by method, the server's and the client's CPU, and the wall time.
 *
 * <p>Each implementation runs {@code pairs} pairs per thread after a warm-up of as many, each
 * thread its own lock client on {@value #RESOURCES} resources of its own, as {@code
 * AcquireReleaseBenchmark} does on etcd.
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.etcd.EtcdPairCost 2000 1   # pairs, threads
 * java -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.etcd.EtcdPairCost 500 8 DLM PEER DLM PEER
 * }</pre>
 */
public final class EtcdPairCost {

    private static final int RESOURCES = 1 << 10;

    private static final String[] METHODS = {
        "Txn", "Range", "Put", "DeleteRange", "LeaseGrant", "LeaseRevoke", "LeaseKeepAlive", "Lock", "Unlock"
    };

    private EtcdPairCost() {}

    /**
     * Runs the count.
     *
     * @param args the number of pairs per thread, the number of threads, then the implementations
     *     to count ({@code DLM}, {@code PEER}, {@code PEER_OWN_LEASE}, {@code RAW}, {@code
     *     RAW_KEEPALIVE}) in that order, repeats allowed (all once when none is named); all optional
     * @throws InterruptedException when interrupted
     */
    public static void main(String[] args) throws InterruptedException {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        List<String> names = args.length > 2 ? List.of(args).subList(2, args.length) : EtcdEngine.IMPLEMENTATIONS;
        // In the order given, repeats included, so that runs can take turns on a shared machine.
        for (String name : names) {
            measure(name, pairs, threads);
        }
    }

    private static void measure(String name, int pairs, int threads) throws InterruptedException {
        try (EtcdEngine engine = EtcdEngine.start();
                LockTable locks = engine.open(name)) {
            LocalEtcd etcd = engine.server();
            run(locks, threads, pairs); // warm-up
            Map<String, Double> before = counters(etcd);
            long clientCpu = processCpuNanos();
            long start = System.nanoTime();
            run(locks, threads, pairs);
            long wall = System.nanoTime() - start;
            clientCpu = processCpuNanos() - clientCpu;
            Map<String, Double> after = counters(etcd);
            double total = (double) pairs * threads;
            StringBuilder line = new StringBuilder(String.format(
                    Locale.ROOT,
                    "%-22s %d thread(s), %,d pairs: %,.0f pairs/s",
                    name,
                    threads,
                    (long) total,
                    total * 1e9 / wall));
            for (Map.Entry<String, Double> counter : after.entrySet()) {
                double spent = counter.getValue() - before.getOrDefault(counter.getKey(), 0.0);
                if (spent != 0) {
                    line.append(
                            String.format(Locale.ROOT, "%n    %-28s %8.3f per pair", counter.getKey(), spent / total));
                }
            }
            line.append(
                    String.format(Locale.ROOT, "%n    %-28s %8.1f µs per pair", "client CPU", clientCpu / 1e3 / total));
            System.out.println(line);
        }
    }

    private static void run(LockTable locks, int threads, int pairs) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(threads);
        List<Throwable> failures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            String client = "cost-client-" + t;
            String prefix = "cost-" + t + "-";
            Thread thread = new Thread(() -> {
                try {
                    for (int i = 0; i < pairs; i++) {
                        String resource = prefix + (i & (RESOURCES - 1));
                        if (!locks.lock(resource, client, 0) || !locks.unlock(resource, client)) {
                            throw new IllegalStateException("an uncontended pair on " + resource + " failed");
                        }
                    }
                } catch (Throwable e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                } finally {
                    done.countDown();
                }
            });
            thread.start();
        }
        done.await();
        if (!failures.isEmpty()) {
            throw new IllegalStateException("pairs failed", failures.get(0));
        }
    }

    /** The server's counters, and its CPU time in microseconds from {@code /proc}. */
    private static Map<String, Double> counters(LocalEtcd etcd) {
        String metrics = etcd.metrics();
        Map<String, Double> counters = new LinkedHashMap<>();
        counters.put("Raft writes (committed)", sum(metrics, "etcd_server_proposals_committed_total", ""));
        counters.put("WAL fsyncs", sum(metrics, "etcd_disk_wal_fsync_duration_seconds_count", ""));
        counters.put("backend commits", sum(metrics, "etcd_disk_backend_commit_duration_seconds_count", ""));
        for (String method : METHODS) {
            counters.put("gRPC " + method, sum(metrics, "grpc_server_started_total", "grpc_method=\"" + method + "\""));
        }
        // A keep-alive stream is one call however many keep-alives it carries: count its requests too.
        counters.put(
                "keep-alive requests",
                sum(metrics, "grpc_server_msg_received_total", "grpc_method=\"LeaseKeepAlive\""));
        counters.put("server CPU µs", serverCpuMicros(etcd.pid()));
        return counters;
    }

    /** The sum of a metric's samples whose labels contain {@code labels}. */
    private static double sum(String metrics, String name, String labels) {
        double total = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith(name)
                    && (line.length() == name.length() || " {".indexOf(line.charAt(name.length())) >= 0)
                    && line.contains(labels)) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return total;
    }

    private static double serverCpuMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // utime and stime, fields 14 and 15 of the whole line, in clock ticks of 10 ms.
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * 10_000.0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
