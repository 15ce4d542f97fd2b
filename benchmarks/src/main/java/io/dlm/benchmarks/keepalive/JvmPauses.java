package io.dlm.benchmarks.keepalive;

import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * What the JVM itself did that can hold up every thread: garbage collections and JIT compilation,
 * as totals since start, to tell a late loss caused by the JVM from one caused by the runtime.
 *
 * @param collections collections of every collector
 * @param collectionMillis time in them (for G1 mostly concurrent; the pauses are part of it)
 * @param compileMillis time the JIT compilers spent
 */
record JvmPauses(long collections, long collectionMillis, long compileMillis) {

    /**
     * Reads the totals now.
     *
     * @return them
     */
    static JvmPauses take() {
        long count = 0;
        long millis = 0;
        for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, collector.getCollectionCount());
            millis += Math.max(0, collector.getCollectionTime());
        }
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        long compiling = jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
        return new JvmPauses(count, millis, compiling);
    }

    /**
     * The difference from an earlier reading.
     *
     * @param before the earlier reading
     * @return what happened in between
     */
    JvmPauses since(JvmPauses before) {
        return new JvmPauses(
                collections - before.collections,
                collectionMillis - before.collectionMillis,
                compileMillis - before.compileMillis);
    }
}
