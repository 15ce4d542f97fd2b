package io.dlm.impl.selftest;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockBackend;
import io.dlm.tck.LockManagerTck;
import io.dlm.tck.PrivateLockSpaceTck;
import io.dlm.tck.TckBackends;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The TCK's lease-lifecycle rules (K1-K5, X5), and S2 and S3 built on them, are the runtime's, so they are self-tested here, where
 * the runtime is: each {@link BrokenBackend.Flaw} runs through the real runtime, and the TCK must
 * fail the tests of the rule the flaw breaks. (The correct case is {@code MemoryTckTest}, which runs
 * the whole TCK on the memory backend.)
 */
class LifecycleSelfTest {

    @ParameterizedTest(name = "{0}")
    @EnumSource(BrokenBackend.Flaw.class)
    void theTckCatchesEveryBrokenLifecycle(BrokenBackend.Flaw flaw) {
        for (String rule : rulesBrokenBy(flaw)) {
            TestExecutionSummary summary = FixtureRuns.run(fixture(flaw), rule);
            // Failed test methods only: a class that fails to start proves nothing about the rule.
            List<String> failed = summary.getFailures().stream()
                    .map(failure -> failure.getTestIdentifier().getSource())
                    .flatMap(Optional::stream)
                    .filter(MethodSource.class::isInstance)
                    .map(source -> ((MethodSource) source).getMethodName())
                    .collect(Collectors.toList());
            System.out.println("[lifecycle self-test] " + flaw + ": ran " + summary.getTestsFoundCount() + " tests of "
                    + rule + ", failed " + failed);
            assertThat(summary.getTestsFoundCount())
                    .as("tests of %s found", rule)
                    .isPositive();
            assertThat(failed)
                    .as("tests of %s failed by a backend that %s", rule, flaw)
                    .isNotEmpty();
        }
    }

    private static List<String> rulesBrokenBy(BrokenBackend.Flaw flaw) {
        return switch (flaw) {
            case KEEPALIVE_STOPS_SILENTLY -> List.of("K1_", "S2_");
            case LOSS_REPORTED_LATE -> List.of("K3_");
            case TOKEN_BLIND -> List.of("K4_");
            case ORPHANS_AMBIGUOUS_ACQUISITIONS, UNDOES_BY_CLIENT -> List.of("X5_");
            case RELEASE_LEFT_TO_EXPIRE -> List.of("S2_", "S3_");
        };
    }

    private static Class<? extends LockManagerTck> fixture(BrokenBackend.Flaw flaw) {
        return switch (flaw) {
            case KEEPALIVE_STOPS_SILENTLY -> KeepAliveStopsSilentlyFixture.class;
            case LOSS_REPORTED_LATE -> LossReportedLateFixture.class;
            case TOKEN_BLIND -> TokenBlindFixture.class;
            case ORPHANS_AMBIGUOUS_ACQUISITIONS -> OrphansAmbiguousFixture.class;
            case UNDOES_BY_CLIENT -> UndoesByClientFixture.class;
            case RELEASE_LEFT_TO_EXPIRE -> ReleaseLeftToExpireFixture.class;
        };
    }

    /** The TCK wired to a broken backend, as a backend author wires it. */
    abstract static class BrokenFixture extends PrivateLockSpaceTck {
        private final BrokenBackend.Flaw flaw;

        BrokenFixture(BrokenBackend.Flaw flaw) {
            this.flaw = flaw;
        }

        @Override
        protected LockManager openManager(Map<String, String> properties) {
            return LockManagers.open(BrokenBackend.provider(flaw), properties);
        }

        @Override
        protected LockManager openManager(Map<String, String> properties, UnaryOperator<LockBackend> decorator) {
            return LockManagers.open(TckBackends.decorated(BrokenBackend.provider(flaw), decorator), properties);
        }
    }

    static class KeepAliveStopsSilentlyFixture extends BrokenFixture {
        KeepAliveStopsSilentlyFixture() {
            super(BrokenBackend.Flaw.KEEPALIVE_STOPS_SILENTLY);
        }
    }

    static class LossReportedLateFixture extends BrokenFixture {
        LossReportedLateFixture() {
            super(BrokenBackend.Flaw.LOSS_REPORTED_LATE);
        }
    }

    static class TokenBlindFixture extends BrokenFixture {
        TokenBlindFixture() {
            super(BrokenBackend.Flaw.TOKEN_BLIND);
        }
    }

    static class OrphansAmbiguousFixture extends BrokenFixture {
        OrphansAmbiguousFixture() {
            super(BrokenBackend.Flaw.ORPHANS_AMBIGUOUS_ACQUISITIONS);
        }
    }

    static class UndoesByClientFixture extends BrokenFixture {
        UndoesByClientFixture() {
            super(BrokenBackend.Flaw.UNDOES_BY_CLIENT);
        }
    }

    static class ReleaseLeftToExpireFixture extends BrokenFixture {
        ReleaseLeftToExpireFixture() {
            super(BrokenBackend.Flaw.RELEASE_LEFT_TO_EXPIRE);
        }
    }
}
