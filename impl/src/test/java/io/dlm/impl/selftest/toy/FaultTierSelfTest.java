package io.dlm.impl.selftest.toy;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.impl.selftest.FixtureRuns;
import io.dlm.tck.fault.InProcessFaultTck;
import io.dlm.tck.fault.LockManagerFaultTck;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Proves the fault tier right both ways, over a real TCP connection to the toy engine: a correct
 * engine passes every fault test, and each planted fault (a backend that keeps answering "held"
 * during a partition, one that gives each round trip a whole operation timeout, an engine that
 * grants before expiry, one that loses its tokens on restart) is
 * caught by the test of the rule it breaks. The tier runs through the JUnit Platform launcher, as a
 * backend's build runs it.
 */
class FaultTierSelfTest {

    @Test
    void aCorrectEnginePassesTheWholeFaultTier() {
        TestExecutionSummary summary = FixtureRuns.run(CorrectFixture.class, "");
        assertThat(FixtureRuns.failures(summary))
                .as("fault tests failed by a correct engine")
                .isEmpty();
        assertThat(summary.getTestsFoundCount()).isEqualTo(countTierTests());
        assertThat(summary.getTestsSucceededCount())
                .as("every fault test applies to an engine behind TCP that can restart")
                .isEqualTo(countTierTests());
    }

    static Stream<Arguments> plantedFaults() {
        return Stream.of(
                Arguments.of(HeldDuringPartitionFixture.class, "N1_"),
                Arguments.of(EarlyGrantFixture.class, "N1_"),
                Arguments.of(TokensResetOnRestartFixture.class, "N5_"),
                Arguments.of(TimeoutPerRoundTripFixture.class, "X1_"));
    }

    @ParameterizedTest(name = "{0} fails {1}")
    @MethodSource("plantedFaults")
    void eachPlantedFaultIsCaught(Class<? extends LockManagerFaultTck> fixture, String rule) {
        TestExecutionSummary summary = FixtureRuns.run(fixture, rule);
        List<String> failed = FixtureRuns.failures(summary);
        System.out.println("[fault tier self-test] " + fixture.getSimpleName() + ": ran " + summary.getTestsFoundCount()
                + " tests of " + rule + ", failed " + failed);
        assertThat(summary.getTestsFoundCount()).as("tests of %s found", rule).isPositive();
        assertThat(failed)
                .as("tests of %s failed by %s", rule, fixture.getSimpleName())
                .isNotEmpty();
    }

    private static long countTierTests() {
        return Stream.of(LockManagerFaultTck.class, InProcessFaultTck.class)
                .flatMap(tier -> Arrays.stream(tier.getDeclaredMethods()))
                .filter(method -> method.isAnnotationPresent(Test.class))
                .map(Method::getName)
                .count();
    }

    /** The fault tier wired to the toy engine, with a flaw planted in the engine or the backend. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class ToyFixture extends LockManagerFaultTck {
        private final ToyFlaw engineFlaw;
        private final String backendFlaw;
        private ToyLockServer engine;

        ToyFixture(ToyFlaw engineFlaw, String backendFlaw) {
            this.engineFlaw = engineFlaw;
            this.backendFlaw = backendFlaw;
        }

        @BeforeAll
        void startEngine() {
            engine = ToyLockServer.start(engineFlaw);
        }

        @AfterAll
        void stopEngine() {
            engine.close();
        }

        @Override
        protected String backendName() {
            return ToyLockBackendProvider.NAME;
        }

        @Override
        protected InetSocketAddress engineAddress() {
            return new InetSocketAddress("127.0.0.1", engine.port());
        }

        @Override
        protected Map<String, String> connectionProperties(String host, int port) {
            return Map.of(ToyLockBackendProvider.ADDRESS, host + ":" + port, ToyLockBackendProvider.FLAW, backendFlaw);
        }

        @Override
        protected boolean canRestartEngine() {
            return true;
        }

        @Override
        protected void restartEngine() {
            engine.restart();
        }
    }

    static class CorrectFixture extends ToyFixture {
        CorrectFixture() {
            super(ToyFlaw.NONE, "none");
        }
    }

    static class HeldDuringPartitionFixture extends ToyFixture {
        HeldDuringPartitionFixture() {
            super(ToyFlaw.NONE, "held-during-partition");
        }
    }

    static class EarlyGrantFixture extends ToyFixture {
        EarlyGrantFixture() {
            super(ToyFlaw.EARLY_GRANT, "none");
        }
    }

    static class TimeoutPerRoundTripFixture extends ToyFixture {
        TimeoutPerRoundTripFixture() {
            super(ToyFlaw.NONE, "timeout-per-round-trip");
        }
    }

    static class TokensResetOnRestartFixture extends ToyFixture {
        TokensResetOnRestartFixture() {
            super(ToyFlaw.TOKENS_RESET_ON_RESTART, "none");
        }

        /**
         * Draws tokens before the tier runs (after the engine started), so that the token N5 takes
         * before the restart lies far above those drawn after it. Otherwise the planted fault could
         * go unseen: N5 takes the first token, 1, and if an attempt just after the restart is applied
         * but loses its reply, it draws token 1 again, and the next attempt gets 2.
         */
        @BeforeAll
        void drawTokens() {
            InetSocketAddress address = engineAddress();
            try (LockManager manager = LockManagers.open(
                    backendName(), connectionProperties(address.getHostString(), address.getPort()))) {
                for (int i = 0; i < 100; i++) {
                    assertThat(manager.lock("drawn-" + i, "drawer", 0)).isTrue();
                    assertThat(manager.unlock("drawn-" + i, "drawer")).isTrue();
                }
            }
        }
    }
}
