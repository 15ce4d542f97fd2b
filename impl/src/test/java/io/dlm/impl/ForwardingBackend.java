package io.dlm.impl;

import io.dlm.spi.LockBackend;
import io.dlm.tck.ForwardingLockBackend;

/** A plain (blocking, not in-process) backend that forwards to another; tests override single calls. */
class ForwardingBackend extends ForwardingLockBackend {

    final LockBackend real;

    ForwardingBackend(LockBackend real) {
        super(real);
        this.real = real;
    }

    /** Parks ignoring interrupts until the condition holds (a callback or call that will not stop). */
    static void parkUntil(java.util.function.BooleanSupplier done) {
        while (!done.getAsBoolean()) {
            Thread.interrupted();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
    }

    static int schedulerQueueSize(io.dlm.LockManager manager) {
        return ((DefaultLockManager) manager).keeper().queuedTimers();
    }
}
