package io.dlm.impl.selftest.toy;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.SharedLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole rule TCK against the toy engine, through the real runtime: proof that the fixture is a
 * correct lock engine before the fault tier plants faults in it.
 */
class ToyTckTest extends SharedLockSpaceTck {

    private static ToyLockServer engine;

    @BeforeAll
    static void startEngine() {
        engine = ToyLockServer.start(ToyFlaw.NONE);
    }

    @AfterAll
    static void stopEngine() {
        engine.close();
    }

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open(ToyLockBackendProvider.NAME, withAddress(properties));
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(
                TckBackends.decorated(ToyLockBackendProvider.NAME, decorator), withAddress(properties));
    }

    private static Map<String, String> withAddress(Map<String, String> properties) {
        Map<String, String> all = new HashMap<>(properties);
        all.put(ToyLockBackendProvider.ADDRESS, engine.address());
        return all;
    }
}
