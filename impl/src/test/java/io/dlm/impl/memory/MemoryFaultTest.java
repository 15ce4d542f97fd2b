package io.dlm.impl.memory;

import io.dlm.tck.fault.InProcessFaultTck;

/**
 * The fault tier on the in-memory backend: its in-process tier, holders pausing past their leases,
 * checked by the history checker (there is no network to fault).
 */
class MemoryFaultTest extends InProcessFaultTck {

    @Override
    protected String backendName() {
        return "memory";
    }
}
