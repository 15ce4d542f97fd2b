package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import org.junit.jupiter.api.Test;

/**
 * C1 for an in-process backend: each manager is a lock space of its own. Run by {@link
 * PrivateLockSpaceTck}.
 */
abstract class PrivateLockSpaceRules extends RuleGroup {

    PrivateLockSpaceRules(LockManagerTck tck) {
        super(tck);
    }

    @Test
    void C1_inProcessManagersAreSeparateLockSpaces() {
        LockManager one = manager();
        LockManager two = open("dlm.lease.min", millis(longLease()));
        String resource = resource();
        assertThat(one.lock(resource, client("one"), 0)).isTrue();
        assertFree(two, resource);
        String other = client("two");
        assertThat(two.lock(resource, other, 0)).isTrue();
        assertHeldBy(two, resource, other);
    }
}
