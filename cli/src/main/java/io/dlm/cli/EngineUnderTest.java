package io.dlm.cli;

import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The engine {@code dlm tck} runs the TCK against, handed to {@link ConfiguredEngineTck}, which
 * JUnit creates itself and so cannot be given it through a constructor.
 *
 * @param backend the provider name
 * @param settings the run's {@code dlm.*} settings, added to each test's own
 * @param leaseGranularity what the backend reports as its lease granularity (E1)
 * @param sharedLockSpace whether managers opened with the same settings see the same locks
 */
record EngineUnderTest(
        String backend, Map<String, String> settings, Duration leaseGranularity, boolean sharedLockSpace) {

    private static volatile @Nullable EngineUnderTest current;

    /** Makes this the engine of the next TCK run in this JVM. */
    void select() {
        current = this;
    }

    /**
     * The engine of the TCK run under way.
     *
     * @return it
     * @throws IllegalStateException outside a run of {@code dlm tck}
     */
    static EngineUnderTest current() {
        EngineUnderTest engine = current;
        if (engine == null) {
            throw new IllegalStateException("ConfiguredEngineTck runs only from dlm tck");
        }
        return engine;
    }
}
