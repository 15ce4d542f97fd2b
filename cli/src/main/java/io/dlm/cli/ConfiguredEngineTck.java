package io.dlm.cli;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.PrivateLockSpaceTck;
import io.dlm.tck.SharedLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The TCK against the engine {@code dlm tck} was given, in the tier of its lock space: {@link
 * Shared} for an engine that managers share, {@link InProcess} for a lock space per manager. Every
 * manager a test opens gets the run's settings, with the test's own on top. The tiers are public
 * because JUnit creates them by reflection; they run only from {@code dlm tck}.
 */
final class ConfiguredEngineTck {

    private ConfiguredEngineTck() {}

    /**
     * The test class for an engine.
     *
     * @param engine the engine under test
     * @return the tier that matches its lock space
     */
    static Class<?> forEngine(EngineUnderTest engine) {
        return engine.sharedLockSpace() ? Shared.class : InProcess.class;
    }

    /** The shared tier against the configured engine. */
    public static class Shared extends SharedLockSpaceTck {
        private final EngineUnderTest engine = EngineUnderTest.current();

        /** Created by JUnit, once per test. */
        public Shared() {}

        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return open(engine, properties);
        }

        @Override
        protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
            return open(engine, properties, decorator);
        }

        @Override
        protected Duration leaseGranularity() {
            return engine.leaseGranularity();
        }
    }

    /** The in-process tier against the configured backend. */
    public static class InProcess extends PrivateLockSpaceTck {
        private final EngineUnderTest engine = EngineUnderTest.current();

        /** Created by JUnit, once per test. */
        public InProcess() {}

        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return open(engine, properties);
        }

        @Override
        protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
            return open(engine, properties, decorator);
        }

        @Override
        protected Duration leaseGranularity() {
            return engine.leaseGranularity();
        }
    }

    private static LockManager open(EngineUnderTest engine, Map<String, String> testSettings) {
        return LockManagers.open(engine.backend(), with(engine, testSettings));
    }

    private static LockManager open(
            EngineUnderTest engine, Map<String, String> testSettings, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated(engine.backend(), decorator), with(engine, testSettings));
    }

    private static Map<String, String> with(EngineUnderTest engine, Map<String, String> testSettings) {
        Map<String, String> all = new HashMap<>(engine.settings());
        all.putAll(testSettings);
        return all;
    }
}
