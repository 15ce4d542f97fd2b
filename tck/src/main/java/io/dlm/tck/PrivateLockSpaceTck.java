package io.dlm.tck;

import org.junit.jupiter.api.Nested;

/**
 * The TCK for an in-process backend, where each manager is a lock space of its own (C1): the
 * rules of {@link LockManagerTck}, and that two managers share nothing.
 */
public abstract class PrivateLockSpaceTck extends LockManagerTck {

    /** For subclasses: a backend's test class. */
    protected PrivateLockSpaceTck() {}

    /** C1: two managers are two lock spaces. */
    @Nested
    class PrivateLockSpaces extends PrivateLockSpaceRules {
        PrivateLockSpaces() {
            super(PrivateLockSpaceTck.this);
        }
    }
}
