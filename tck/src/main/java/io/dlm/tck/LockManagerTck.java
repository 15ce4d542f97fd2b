package io.dlm.tck;

import io.dlm.LockManager;
import io.dlm.spi.LockBackend;
import java.time.Duration;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Nested;

/**
 * The whole DLM compatibility kit as one abstract JUnit 5 class: the rules every backend meets, each
 * group a nested class. A backend's test extends one of its two tiers, which adds the rules of its
 * kind of lock space: {@link SharedLockSpaceTck} for an engine that several managers (and
 * processes) share, {@link PrivateLockSpaceTck} for a lock space inside one manager. It implements
 * {@link #openManager(Map)}; JUnit then runs every rule group of the tier.
 *
 * <pre>{@code
 * class EtcdTckTest extends SharedLockSpaceTck {
 *     protected LockManager openManager(Map<String, String> properties) {
 *         var all = new HashMap<>(properties);
 *         all.put("dlm.etcd.endpoints", ETCD.endpoint());
 *         return LockManagers.open("etcd", all);
 *     }
 *     protected Duration leaseGranularity() { return Duration.ofSeconds(1); }
 * }
 * }</pre>
 *
 * <p>Each test names the rule it checks by its method name's prefix ({@code L2_...}), opens its own
 * managers, closes them afterwards and uses random resource and client ids, so reruns against a
 * shared engine never collide. Timings scale with {@link TckTimings}.
 */
public abstract class LockManagerTck {

    /** For the two tiers only: a backend's test class extends one of them. */
    LockManagerTck() {}

    /**
     * Opens a new manager on the backend under test. The TCK calls it once or more per test and
     * closes every manager it gets.
     *
     * @param properties {@code dlm.*} settings the test needs (e.g. {@code dlm.lease.min=300ms});
     *     add the backend's own connection settings to them, and let invalid values throw (E1a)
     * @return an open manager
     * @throws IllegalArgumentException naming the key of an invalid setting (E1a)
     */
    protected abstract LockManager openManager(Map<String, String> properties);

    /**
     * Opens a manager whose backend the TCK wraps in {@code decorator}, for the rules that must
     * lose a reply, delay a renewal or refuse one on purpose while the real engine does the rest
     * (K1-K5, X5). Wire the backend through {@link TckBackends#decorated}, e.g.
     *
     * <pre>{@code
     * protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
     *     return LockManagers.open(TckBackends.decorated("redis", decorator), withEndpoint(properties));
     * }
     * }</pre>
     *
     * <p>The default fails the calling test, saying to override this.
     *
     * @param properties {@code dlm.*} settings the test needs; add the connection settings
     * @param decorator wraps the backend the runtime opens; the TCK's wrappers delegate every call
     * @return an open manager over the decorated backend
     */
    protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
        throw new UnsupportedOperationException(getClass().getName()
                + " must override openManager(Map, UnaryOperator<LockBackend>) to run the TCK's fault-injecting"
                + " rules (K1-K5, X5); see TckBackends.decorated");
    }

    /**
     * The engine's lease granularity; leases are rounded up to it and the TCK widens its timings by
     * it (E1). Override for engines that count in coarse units, e.g. etcd's whole seconds.
     *
     * @return a positive duration, {@code 1 ns} by default (exact leases)
     */
    protected Duration leaseGranularity() {
        return Duration.ofNanos(1);
    }

    /**
     * Whether two managers from {@link #openManager(Map)} see the same locks: the tier the backend's
     * test class chose. Rules that need a second party use another manager where they can, the
     * same manager otherwise.
     */
    final boolean sharedLockSpace() {
        return this instanceof SharedLockSpaceTck;
    }

    /** V1: identifiers are opaque, exact and bounded. */
    @Nested
    class Identifiers extends IdentifierRules {
        Identifiers() {
            super(LockManagerTck.this);
        }
    }

    /** V2, X4: invalid arguments are rejected by name and change nothing. */
    @Nested
    class Arguments extends ArgumentRules {
        Arguments() {
            super(LockManagerTck.this);
        }
    }

    /** V3, E1, E1a, I1: lease lengths, settings, saturation and inspection. */
    @Nested
    class Leases extends LeaseRules {
        Leases() {
            super(LockManagerTck.this);
        }
    }

    /** E2, H1, H2, H3: expiry and heartbeats. */
    @Nested
    class Expiry extends ExpiryRules {
        Expiry() {
            super(LockManagerTck.this);
        }
    }

    /** L1, L2, L3: acquiring, timing out, no barging, no reentrance. */
    @Nested
    class Acquiring extends AcquireRules {
        Acquiring() {
            super(LockManagerTck.this);
        }
    }

    /** L4, L5, U3: how waiters are woken and what they leave behind. */
    @Nested
    class Waiting extends WaitingRules {
        Waiting() {
            super(LockManagerTck.this);
        }
    }

    /** U1, U2, U4: releasing. */
    @Nested
    class Releasing extends ReleaseRules {
        Releasing() {
            super(LockManagerTck.this);
        }
    }

    /** F1, A1, X3: fencing tokens and the {@code Lease} handle. */
    @Nested
    class Fencing extends FencingAndLeaseRules {
        Fencing() {
            super(LockManagerTck.this);
        }
    }

    /** C1, X1, X2: closing, interrupts, never hanging. */
    @Nested
    class Lifecycle extends LifecycleRules {
        Lifecycle() {
            super(LockManagerTck.this);
        }
    }

    /** K1-K4: keeping a lease alive, its local deadline, its loss, token-bound handles. */
    @Nested
    class KeepingALease extends KeepAliveRules {
        KeepingALease() {
            super(LockManagerTck.this);
        }
    }

    /** K5, X5: {@code withLock}, and acquisitions whose outcome is unknown. */
    @Nested
    class WorkUnderALock extends WithLockRules {
        WorkUnderALock() {
            super(LockManagerTck.this);
        }
    }

    /** S2: holding a lock on after its work. */
    @Nested
    class HoldingOn extends HoldAtLeastRules {
        HoldingOn() {
            super(LockManagerTck.this);
        }
    }

    /** S3: leader election. */
    @Nested
    class Leading extends LeadershipRules {
        Leading() {
            super(LockManagerTck.this);
        }
    }

    /** M1, M2: mutual exclusion and thread safety under load. */
    @Nested
    class Concurrency extends ConcurrencyRules {
        Concurrency() {
            super(LockManagerTck.this);
        }
    }
}
