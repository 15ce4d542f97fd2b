package io.dlm.interceptor;

/**
 * What a {@link DistributedLock} method does when its lock is not acquired within the timeout
 * (S1, D3).
 */
public enum WhenLocked {

    /**
     * The method is not called and the caller gets {@code io.dlm.LockException} with {@code
     * RESOURCE_LOCKED}; a {@link LockWaitTimedOut} event is fired (D3). The default.
     */
    FAIL,

    /**
     * The method is not called and the call returns at once with an empty value: {@code null}, an
     * empty {@code Optional} ({@code OptionalInt}, {@code OptionalLong}, {@code OptionalDouble}),
     * a completed stage holding {@code null} for a {@code CompletionStage} or {@code
     * CompletableFuture}, or {@code 0}, {@code false} or {@code '\0'} for a primitive; a {@link
     * LockSkipped} event is fired (S1). A nested call on the same thread for a resource its caller
     * holds (D3) is skipped in the same way. Suits a job that several nodes run on a schedule:
     * the node that gets the lock runs it, the others skip this run.
     */
    SKIP
}
