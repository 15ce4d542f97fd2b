package io.dlm.tck.support;

import java.lang.reflect.Method;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads for code compiled for Java 17, found by reflection on the running JDK: tests and
 * benchmarks of waiters parked on virtual threads run the same sources on JDK 17 and on JDK 21 or
 * later. What to do where there are none (skip, fail) is the caller's choice.
 */
public final class VirtualThreadFactory {

    private static final int FIRST_FEATURE_WITH_VIRTUAL_THREADS = 21;

    private VirtualThreadFactory() {}

    /**
     * {@code Thread.ofVirtual().factory()}, where the running JDK has it.
     *
     * @return a factory of unstarted virtual threads, or empty before Java 21
     * @throws IllegalStateException if a JDK of 21 or later does not offer them as expected
     */
    public static Optional<ThreadFactory> ofRunningJdk() {
        if (Runtime.version().feature() < FIRST_FEATURE_WITH_VIRTUAL_THREADS) {
            return Optional.empty();
        }
        try {
            Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
            // Through the public interface: the builder's own class is not public.
            Method factory = Class.forName("java.lang.Thread$Builder").getMethod("factory");
            return Optional.of((ThreadFactory) factory.invoke(builder));
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("Java " + Runtime.version() + " should have virtual threads", e);
        }
    }
}
