package io.dlm.benchmarks;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code memory} engine: DLM's in-memory backend ({@link LockType#DLM}), a fair {@code
 * ReentrantLock} per key as its peer ({@link LockType#FAIR_REENTRANT_LOCK}) and {@link
 * LockType#LEASE_MAP} as the raw minimum, their leases those of rule E1's defaults (twice the
 * timeout, at least 1 s). A table lives in this process alone, so each implementation opens once
 * per engine. The in-memory backend's own acquire and release benchmark is {@link
 * LockUnlockBenchmark}.
 */
final class MemoryEngine implements Engine {

    private static final List<String> IMPLEMENTATIONS = List.of("DLM", "PEER", "RAW");

    private final Set<String> opened = new HashSet<>();

    @Override
    public LockTable open(String implementation) {
        if (IMPLEMENTATIONS.contains(implementation) && !opened.add(implementation)) {
            throw new IllegalStateException("A second in-memory " + implementation
                    + " would share no lock with the first: two processes need a networked engine");
        }
        return switch (implementation) {
            case "DLM" -> LockType.DLM.create();
            case "PEER" -> LockType.FAIR_REENTRANT_LOCK.create();
            case "RAW" -> LockType.LEASE_MAP.create();
            default -> throw Engine.unknown("memory", implementation, IMPLEMENTATIONS);
        };
    }

    @Override
    public int resourcesPerThread() {
        return 1;
    }

    @Override
    public void close() {
        // Nothing outlives the tables.
    }
}
