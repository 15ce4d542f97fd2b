package io.dlm.impl.memory;

import io.dlm.tck.fault.LockManagerFaultTck;

/**
 * The fault tier on the in-memory backend: only what needs no network applies (holders pausing
 * past their leases, checked by the history checker); the network faults are reported as not
 * applicable.
 */
class MemoryFaultTest extends LockManagerFaultTck {

    @Override
    protected String backendName() {
        return "memory";
    }
}
