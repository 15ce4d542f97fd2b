package io.dlm.benchmarks.keepalive;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The CPU time the process and each of its live threads had used at one instant, to tell what a
 * phase cost and which threads spent it.
 *
 * @param processNanos CPU time of the whole process (every thread, the JIT and the GC included)
 * @param threads CPU time of each live thread, by thread id
 * @param names the name of each live thread, by thread id
 */
record CpuSnapshot(long processNanos, Map<Long, Long> threads, Map<Long, String> names) {

    /**
     * Reads the clocks now.
     *
     * @return the snapshot
     */
    static CpuSnapshot take() {
        ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        Map<Long, Long> cpu = new HashMap<>();
        Map<Long, String> names = new HashMap<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            long used = bean.getThreadCpuTime(thread.getId());
            if (used >= 0) { // -1: the thread ended meanwhile, or CPU time is not measured
                cpu.put(thread.getId(), used);
                names.put(thread.getId(), thread.getName());
            }
        }
        return new CpuSnapshot(processCpuNanos(), Map.copyOf(cpu), Map.copyOf(names));
    }

    private static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * CPU time each thread family used from {@code before} to this snapshot. Threads that ended in
     * between are missing from it (the process total still has them); threads started in between
     * count from zero.
     *
     * @param before the earlier snapshot
     * @return nanoseconds by family, families sorted by name
     */
    Map<String, Long> byFamilySince(CpuSnapshot before) {
        Map<String, Long> used = new TreeMap<>();
        threads.forEach((id, now) -> {
            long then = before.threads.getOrDefault(id, 0L);
            used.merge(family(names.get(id)), now - then, Long::sum);
        });
        return used;
    }

    /**
     * The name of a thread without its pool and thread numbers: {@code dlm-keepalive-1} and
     * {@code dlm-keepalive-2} are both {@code dlm-keepalive}.
     *
     * @param threadName a thread's name
     * @return its family
     */
    static String family(String threadName) {
        return threadName.replaceFirst("(-\\d+)+$", "");
    }

    /**
     * The live threads by family, with how many of each.
     *
     * @return counts by family, sorted by name
     */
    static Map<String, Integer> liveThreads() {
        Map<String, Integer> count = new TreeMap<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            count.merge(family(thread.getName()), 1, Integer::sum);
        }
        return count;
    }
}
