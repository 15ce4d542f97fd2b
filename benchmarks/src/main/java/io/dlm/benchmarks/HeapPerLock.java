package io.dlm.benchmarks;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Retained heap of many locks held at once: opens an in-memory manager, takes {@code count}
 * locks (default 1,000,000) with one-hour leases, and prints the heap they keep alive, per lock,
 * beside a {@link ConcurrentHashMap} holding the same keys as the floor.
 *
 * <p>The resource ids are made before the first reading, so "DLM" counts only what the manager
 * adds; the ids' own size is printed apart, and the total of both is what an application pays.
 * Heap is the lowest of several readings after {@link System#gc()} ({@link
 * Memory#usedHeap(long)}). Not a JMH benchmark: one careful measurement is what is wanted, not a
 * rate.
 *
 * <pre>{@code
 * java -Xmx2g -cp benchmarks/target/benchmarks.jar io.dlm.benchmarks.HeapPerLock [count]
 * }</pre>
 */
public final class HeapPerLock {

    /** Half the lease we want: DLM's lease is twice the lock timeout (E1). */
    private static final long HOUR_LEASE_TIMEOUT_MILLIS = TimeUnit.MINUTES.toMillis(30);

    private static final double MB = 1024.0 * 1024.0;

    /** The pause after each of {@link Memory#usedHeap(long)}'s collections, before the heap is read. */
    private static final long GC_PAUSE_MILLIS = 100;

    private HeapPerLock() {}

    /**
     * Runs the measurement.
     *
     * @param args optionally, the number of locks
     * @throws InterruptedException if interrupted between collections
     */
    public static void main(String[] args) throws InterruptedException {
        int count = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        String client = Ids.nextClient();
        System.out.printf(
                "Java %s, max heap %.0f MB, collectors %s%n",
                Runtime.version(),
                Runtime.getRuntime().maxMemory() / MB,
                ManagementFactory.getGarbageCollectorMXBeans().stream()
                        .map(GarbageCollectorMXBean::getName)
                        .collect(Collectors.joining(", ")));

        long bare = Memory.usedHeap(GC_PAUSE_MILLIS);
        String[] resources = Ids.resources("resource-", count);
        long withIds = Memory.usedHeap(GC_PAUSE_MILLIS);
        report("resource ids (the application's strings)", withIds - bare, count);

        long dlm = measureDlm(resources, client);
        report("DLM in-memory manager", dlm, count);
        report("DLM plus the resource ids", dlm + withIds - bare, count);

        long map = measureMap(resources, client);
        report("ConcurrentHashMap<String, String> baseline", map, count);
        System.out.printf("ratio DLM / ConcurrentHashMap: %.2f%n", (double) dlm / map);
        Reference.reachabilityFence(resources);
    }

    /** Holds every resource in a fresh manager; returns the heap that adds. */
    private static long measureDlm(String[] resources, String client) throws InterruptedException {
        try (LockManager manager = LockManagers.inMemory()) {
            long empty = Memory.usedHeap(GC_PAUSE_MILLIS);
            long start = System.nanoTime();
            for (String resource : resources) {
                if (!manager.lock(resource, client, HOUR_LEASE_TIMEOUT_MILLIS)) {
                    throw new IllegalStateException("could not take " + resource);
                }
            }
            long took = System.nanoTime() - start;
            long full = Memory.usedHeap(GC_PAUSE_MILLIS);
            if (manager.inspect(resources[0]).isEmpty()
                    || manager.inspect(resources[resources.length - 1]).isEmpty()) {
                throw new IllegalStateException("locks were lost before the heap was read");
            }
            System.out.printf("(took the %,d locks in %d ms)%n", resources.length, TimeUnit.NANOSECONDS.toMillis(took));
            return full - empty;
        }
    }

    /** Puts every resource in a fresh map; returns the heap that adds. */
    private static long measureMap(String[] resources, String client) throws InterruptedException {
        ConcurrentHashMap<String, String> map = new ConcurrentHashMap<>();
        long empty = Memory.usedHeap(GC_PAUSE_MILLIS);
        for (String resource : resources) {
            map.putIfAbsent(resource, client);
        }
        long full = Memory.usedHeap(GC_PAUSE_MILLIS);
        if (map.size() != resources.length) {
            throw new IllegalStateException("the map lost entries");
        }
        Reference.reachabilityFence(map);
        return full - empty;
    }

    private static void report(String what, long bytes, int count) {
        System.out.printf("%-45s %8.1f MB  %6.1f bytes per lock%n", what, bytes / MB, (double) bytes / count);
    }
}
