package io.dlm.cli;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.LockManagerTck;
import io.dlm.tck.TckBackends;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The TCK ({@link LockManagerTck}) against the engine {@code dlm tck} was given: every manager a
 * test opens gets the run's settings, with the test's own on top. Public, because JUnit creates
 * it by reflection; it runs only from {@code dlm tck}.
 */
public class ConfiguredEngineTck extends LockManagerTck {

    private final EngineUnderTest engine = EngineUnderTest.current();

    /** Created by JUnit, once per test. */
    public ConfiguredEngineTck() {}

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open(engine.backend(), with(properties));
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated(engine.backend(), decorator), with(properties));
    }

    @Override
    protected Duration leaseGranularity() {
        return engine.leaseGranularity();
    }

    @Override
    protected boolean sharedLockSpace() {
        return engine.sharedLockSpace();
    }

    private Map<String, String> with(Map<String, String> testSettings) {
        Map<String, String> all = new HashMap<>(engine.settings());
        all.putAll(testSettings);
        return all;
    }
}
