package io.dlm.impl.review;

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
        try {
            java.lang.reflect.Field keeperField = manager.getClass().getDeclaredField("keeper");
            keeperField.setAccessible(true);
            Object keeper = keeperField.get(manager);
            java.lang.reflect.Field schedulerField = keeper.getClass().getDeclaredField("scheduler");
            schedulerField.setAccessible(true);
            java.util.concurrent.ScheduledThreadPoolExecutor scheduler =
                    (java.util.concurrent.ScheduledThreadPoolExecutor) schedulerField.get(keeper);
            return scheduler == null ? 0 : scheduler.getQueue().size();
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }
}
