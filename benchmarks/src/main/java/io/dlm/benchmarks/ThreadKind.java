package io.dlm.benchmarks;

import java.lang.reflect.Method;
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
            if (Runtime.version().feature() < 21) {
                throw new IllegalStateException("Java " + Runtime.version() + " has no virtual threads");
            }
            try {
                Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
                // Through the public interface: the builder's own class is not public.
                Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
                return (ThreadFactory) factory.invoke(builder);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("Java " + Runtime.version() + " should have virtual threads", e);
            }
        }
    };

    /**
     * Makes unstarted threads of this kind.
     *
     * @return the factory
     */
    abstract ThreadFactory factory();
}
