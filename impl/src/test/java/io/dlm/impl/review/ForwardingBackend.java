package io.dlm.impl.review;

import io.dlm.LockInfo;
import io.dlm.spi.Acquisition;
import io.dlm.spi.LockBackend;
import java.util.Optional;

/** A plain (blocking, not in-process) backend that forwards to another; tests override single calls. */
class ForwardingBackend implements LockBackend {

    final LockBackend real;

    ForwardingBackend(LockBackend real) {
        this.real = real;
    }

    @Override
    public Acquisition acquire(String resourceId, String clientId, long leaseNanos, long attempt) {
        return real.acquire(resourceId, clientId, leaseNanos, attempt);
    }

    @Override
    public boolean release(String resourceId, String clientId, long fencingToken) {
        return real.release(resourceId, clientId, fencingToken);
    }

    @Override
    public boolean renew(String resourceId, String clientId, long fencingToken) {
        return real.renew(resourceId, clientId, fencingToken);
    }

    @Override
    public void undo(String resourceId, String clientId, long attempt) {
        real.undo(resourceId, clientId, attempt);
    }

    @Override
    public Optional<LockInfo> inspect(String resourceId) {
        return real.inspect(resourceId);
    }

    @Override
    public void close() {
        real.close();
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
