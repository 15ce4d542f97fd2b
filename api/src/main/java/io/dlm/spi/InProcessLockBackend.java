package io.dlm.spi;

/**
 * A backend whose lock space lives in this process only, so every release passes through the
 * runtime that drives it. The runtime then wakes waiters itself on release, and at the holder's
 * deadline for expiry, with no watch and no polling (L4).
 */
public interface InProcessLockBackend extends LockBackend {}
