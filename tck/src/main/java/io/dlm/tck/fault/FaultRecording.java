package io.dlm.tck.fault;

import java.lang.reflect.Method;
import java.util.ArrayDeque;
import java.util.Deque;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that gives each fault test a fresh {@link Recorder} named after it, closes
 * what the test opened once it ends, and then keeps the test's timeline under {@code
 * target/fault-histories/}, passed or failed (SPEC "Faults"). Register it on an instance field:
 *
 * <pre>{@code
 * @RegisterExtension
 * final FaultRecording recording = new FaultRecording();
 * }</pre>
 */
public final class FaultRecording implements BeforeEachCallback, AfterEachCallback {

    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();
    private Recorder recorder = new Recorder("not started");

    /** An extension to register on a test class's instance field. */
    public FaultRecording() {}

    /**
     * The running test's recorder.
     *
     * @return the recorder, new for each test
     */
    public Recorder recorder() {
        return recorder;
    }

    /**
     * Closes {@code closeable} after the test, before its timeline is written; the last one
     * tracked is closed first.
     *
     * @param closeable e.g. a manager, a proxy or a forked JVM
     * @param <T> its type
     * @return {@code closeable}
     */
    public <T extends AutoCloseable> T track(T closeable) {
        toClose.push(closeable);
        return closeable;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        recorder = new Recorder(context.getRequiredTestClass().getSimpleName() + "."
                + context.getTestMethod().map(Method::getName).orElse(context.getDisplayName()));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                // A manager cut off from its engine may fail to release on close; its leases expire.
            }
        }
        recorder.keepTimeline();
    }
}
