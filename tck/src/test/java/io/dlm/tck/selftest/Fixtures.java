package io.dlm.tck.selftest;

import io.dlm.LockManager;
import io.dlm.tck.PrivateLockSpaceTck;
import io.dlm.tck.SharedLockSpaceTck;
import java.time.Duration;
import java.util.Map;

/**
 * The TCK wired to the reference backend, the way a backend author wires it: one small subclass of
 * {@link LockManagerTck} each. They live in another package than the TCK on purpose, proving that
 * JUnit finds the TCK's inherited nested groups from outside it. Named {@code *Fixture} and nested,
 * so Surefire never runs them directly; only {@link TckSelfTest}'s launcher does.
 */
final class Fixtures {

    private Fixtures() {}

    /** The correct reference, in-process: each manager is its own lock space. */
    static class ReferenceFixture extends PrivateLockSpaceTck {
        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return new ReferenceLockManager(properties, Flaw.NONE, null, Duration.ofNanos(1));
        }
    }

    /**
     * The correct reference posing as a remote engine: every manager shares one lock space, and
     * leases are rounded up to 100 ms, so the shared-space tests and the granularity paths run too.
     */
    static class SharedSpaceFixture extends SharedLockSpaceTck {
        private static final Duration GRANULARITY = Duration.ofMillis(100);
        private static final LockSpace ENGINE = new LockSpace(Flaw.NONE);

        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return new ReferenceLockManager(properties, Flaw.NONE, ENGINE, GRANULARITY);
        }

        @Override
        protected Duration leaseGranularity() {
            return GRANULARITY;
        }
    }

    /** A reference with one flaw, in-process. */
    abstract static class FlawedFixture extends PrivateLockSpaceTck {
        private final Flaw flaw;

        FlawedFixture(Flaw flaw) {
            this.flaw = flaw;
        }

        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return new ReferenceLockManager(properties, flaw, null, Duration.ofNanos(1));
        }
    }

    static class ReentrantFixture extends FlawedFixture {
        ReentrantFixture() {
            super(Flaw.REENTRANT);
        }
    }

    static class RevivesExpiredFixture extends FlawedFixture {
        RevivesExpiredFixture() {
            super(Flaw.REVIVES_EXPIRED);
        }
    }

    static class UnlockByAnyoneFixture extends FlawedFixture {
        UnlockByAnyoneFixture() {
            super(Flaw.UNLOCK_BY_ANYONE);
        }
    }

    static class LostWakeupFixture extends FlawedFixture {
        LostWakeupFixture() {
            super(Flaw.LOST_WAKEUP);
        }
    }

    static class TokensResetFixture extends FlawedFixture {
        TokensResetFixture() {
            super(Flaw.TOKENS_RESET);
        }
    }

    static class BargingFixture extends FlawedFixture {
        BargingFixture() {
            super(Flaw.BARGING);
        }
    }

    static class LazyExpiryFixture extends FlawedFixture {
        LazyExpiryFixture() {
            super(Flaw.LAZY_EXPIRY);
        }
    }

    static class NoValidationFixture extends FlawedFixture {
        NoValidationFixture() {
            super(Flaw.NO_VALIDATION);
        }
    }
}
