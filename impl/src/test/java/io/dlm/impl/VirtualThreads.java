package io.dlm.impl;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dlm.tck.support.VirtualThreadFactory;
import java.util.Optional;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads for tests compiled for Java 17, found by reflection on the running JDK.
 *
 * <p>Where the JDK has none (before 21) a test that needs them is skipped, unless the system
 * property {@value #REQUIRED_PROPERTY} is {@code required}: then it fails, so that a run meant to
 * cover virtual threads (the JDK 25 run of CI) cannot pass by skipping them.
 */
final class VirtualThreads {

    /** Set to {@code required} to fail, rather than skip, where there are no virtual threads. */
    static final String REQUIRED_PROPERTY = "dlm.test.virtualThreads";

    private VirtualThreads() {}

    /**
     * A factory of unstarted virtual threads, or the end of the test: skipped or failed, as above.
     *
     * @return {@code Thread.ofVirtual().factory()}
     */
    static ThreadFactory factoryOrSkip() {
        Optional<ThreadFactory> factory = VirtualThreadFactory.ofRunningJdk();
        if (factory.isEmpty()) {
            String missing = "Java " + Runtime.version() + " has no virtual threads";
            if ("required".equals(System.getProperty(REQUIRED_PROPERTY))) {
                fail(missing + ", but " + REQUIRED_PROPERTY + "=required");
            }
            assumeTrue(false, missing);
        }
        return factory.orElseThrow();
    }
}
