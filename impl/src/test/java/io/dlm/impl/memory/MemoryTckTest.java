package io.dlm.impl.memory;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.PrivateLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.util.Map;
import java.util.function.UnaryOperator;

/** Runs the whole TCK against the in-memory backend, found by name as users find it. */
class MemoryTckTest extends PrivateLockSpaceTck {

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open("memory", properties);
    }

    @Override
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        return LockManagers.open(TckBackends.decorated("memory", decorator), properties);
    }
}
