package io.dlm.impl.memory;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.tck.LockManagerTck;
import java.util.Map;

/** Runs the whole TCK against the in-memory backend, found by name as users find it. */
class MemoryTckTest extends LockManagerTck {

    @Override
    protected LockManager openManager(Map<String, String> properties) {
        return LockManagers.open("memory", properties);
    }
}
