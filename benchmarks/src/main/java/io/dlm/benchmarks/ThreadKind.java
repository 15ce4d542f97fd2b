package io.dlm.benchmarks;

import io.dlm.tck.support.VirtualThreadFactory;
import java.util.concurrent.ThreadFactory;

/** The kind of thread a benchmark's waiters run on, as a JMH {@code @Param}. */
public enum ThreadKind {

    /** Ordinary threads, each with its own OS thread and stack outside the heap. */
    PLATFORM {
        @Override
        ThreadFactory factory() {
            return task -> {
                Thread thread = new Thread(task);
                thread.setDaemon(true);
                return thread;
            };
        }
    },

    /**
     * Virtual threads (Java 21 and later), found by reflection, as the benchmarks are compiled for
     * Java 17. Their stacks live on the heap while they are parked.
     */
    VIRTUAL {
        @Override
        ThreadFactory factory() {
            return VirtualThreadFactory.ofRunningJdk()
                    .orElseThrow(
                            () -> new IllegalStateException("Java " + Runtime.version() + " has no virtual threads"));
        }
    };

    /**
     * Makes unstarted threads of this kind.
     *
     * @return the factory
     */
    abstract ThreadFactory factory();
}
