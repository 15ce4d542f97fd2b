package io.dlm.impl;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import java.time.Duration;

/**
 * Locks in a JVM without the {@code jdk.jfr} module: run by {@link WithoutJfrModuleTest} in a
 * JVM started with {@code --limit-modules}; prints {@code OK} when every call worked.
 */
public final class LocksWithoutJfr {

    private LocksWithoutJfr() {}

    /**
     * Locks, waits, releases and keeps a lease alive.
     *
     * @param args none
     */
    public static void main(String[] args) {
        if (ModuleLayer.boot().findModule("jdk.jfr").isPresent()) {
            throw new IllegalStateException("jdk.jfr is present: start this JVM with --limit-modules");
        }
        try (LockManager manager = LockManagers.inMemory()) {
            check(manager.lock("r", "a", 0), "lock");
            check(!manager.lock("r", "b", 50), "a wait that runs out");
            check(manager.heartbeat("r", "a"), "heartbeat");
            check(manager.unlock("r", "a"), "unlock");
            Lease lease = manager.tryAcquire("s", "c", Duration.ZERO, Duration.ofSeconds(5))
                    .orElseThrow()
                    .keepAlive();
            check(lease.release(), "release");
        }
        System.out.println("OK");
    }

    private static void check(boolean result, String what) {
        if (!result) {
            throw new IllegalStateException(what + " failed");
        }
    }
}
