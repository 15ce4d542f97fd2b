package io.dlm;

/** What went wrong, carried by every {@link LockException}. */
public enum LockError {
    /** The resource is held: by the caller itself (L3), or not acquired in time (D3). */
    RESOURCE_LOCKED,
    /** The caller relied on holding a lock it no longer holds (X3, D4). */
    LOCK_NOT_HELD,
    /** The engine failed, the wait was interrupted, or the manager was closed (X1, X2, C1). */
    INTERNAL_ERROR
}
