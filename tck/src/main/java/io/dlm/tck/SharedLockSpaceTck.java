package io.dlm.tck;

import org.junit.jupiter.api.Nested;

/**
 * The TCK for a backend whose managers share one lock space, as every remote engine's do (etcd,
 * JDBC, Redis, ZooKeeper): the rules of {@link LockManagerTck}, and those that need two managers to
 * see the same locks. Two managers opened by {@link #openManager(java.util.Map)} must reach the
 * same engine and the same key space.
 */
public abstract class SharedLockSpaceTck extends LockManagerTck {

    /** For subclasses: a backend's test class. */
    protected SharedLockSpaceTck() {}

    /** C1, F1, L4 across managers: one sees the other's locks, tokens and releases. */
    @Nested
    class AcrossManagers extends SharedLockSpaceRules {
        AcrossManagers() {
            super(SharedLockSpaceTck.this);
        }
    }
}
