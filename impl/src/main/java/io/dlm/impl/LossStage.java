package io.dlm.impl;

import io.dlm.LockException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What {@link io.dlm.Lease#lost()} hands out (K3): the lease's own loss future, which only the
 * runtime completes. Everything that would complete it from outside throws, as the JDK's minimal
 * stage does, and {@link #toCompletableFuture()} gives an independent copy; reading it ({@code
 * isDone}, {@code join}, {@code getNow}) is allowed. One object per lease, made with it, instead of
 * a future plus a read-only view made on the first {@code lost()}: the interceptor asks every call.
 */
final class LossStage extends CompletableFuture<LockException> {

    /**
     * Completes the stage with the loss; the runtime's only way in.
     *
     * @param loss the {@code LOCK_NOT_HELD} exception
     */
    void report(LockException loss) {
        super.complete(loss);
    }

    @Override
    public boolean complete(LockException value) {
        throw readOnly();
    }

    @Override
    public boolean completeExceptionally(Throwable ex) {
        throw readOnly();
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        throw readOnly();
    }

    @Override
    public void obtrudeValue(LockException value) {
        throw readOnly();
    }

    @Override
    public void obtrudeException(Throwable ex) {
        throw readOnly();
    }

    @Override
    public CompletableFuture<LockException> completeAsync(Supplier<? extends LockException> supplier) {
        throw readOnly();
    }

    @Override
    public CompletableFuture<LockException> completeAsync(
            Supplier<? extends LockException> supplier, Executor executor) {
        throw readOnly();
    }

    @Override
    public CompletableFuture<LockException> orTimeout(long timeout, TimeUnit unit) {
        throw readOnly();
    }

    @Override
    public CompletableFuture<LockException> completeOnTimeout(LockException value, long timeout, TimeUnit unit) {
        throw readOnly();
    }

    /**
     * A new future completed with this stage's loss once it is reported: the caller may do with it
     * what it likes without touching the lease's own.
     *
     * @return the copy
     */
    @Override
    public CompletableFuture<LockException> toCompletableFuture() {
        return copy();
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        // Dependent stages are the caller's own, ordinary futures.
        return new CompletableFuture<>();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a lease's loss is reported by the runtime only");
    }
}
