package io.dlm.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/** Readings of heap and resident memory, for figures per lock, per waiter or per lease. */
public final class Memory {

    private Memory() {}

    /**
     * Heap in use once garbage is gone: the lowest reading over a few full collections, 50 ms
     * apart, as one collection may leave floating garbage that the next removes.
     *
     * @return bytes
     * @throws InterruptedException if interrupted between collections
     */
    public static long usedHeap() throws InterruptedException {
        return usedHeap(50);
    }

    /**
     * Heap in use once garbage is gone, as {@link #usedHeap()} reads it, with another pause after
     * each collection.
     *
     * @param pauseMillis how long to wait after each collection before reading the heap
     * @return bytes
     * @throws InterruptedException if interrupted between collections
     */
    public static long usedHeap(long pauseMillis) throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(pauseMillis);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    /**
     * A process's resident memory from {@code /proc/<pid>/status}.
     *
     * @param pid the process
     * @return bytes, or -1 where it cannot be read (not Linux, process gone)
     */
    public static long residentBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or the process ended
        }
        return -1;
    }
}
