package io.dlm.impl.selftest.toy;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.impl.selftest.FixtureRuns;
import io.dlm.tck.jvm.CrossProcessTck;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Proves the TCK's cross-process tier right both ways, with lock clients in forked JVMs talking to
 * the toy engine over TCP: a correct engine passes it; an engine that grants a held lock before its
 * lease ran out fails its E2 test (the killed holder's lock is taken early); and an engine whose
 * renewals set the expiry far beyond the lease fails its S3 test (a killed leader, which had
 * renewed, is not replaced in time), which no test of a lease that is never renewed can see.
 */
class CrossProcessSelfTest {

    @Test
    void aCorrectEnginePassesTheTier() {
        TestExecutionSummary summary = FixtureRuns.run(CorrectEngine.class, "");
        assertThat(FixtureRuns.failures(summary))
                .as("cross-process tests failed by a correct engine")
                .isEmpty();
        assertThat(summary.getTestsSucceededCount()).isEqualTo(3);
    }

    @Test
    void anEngineThatGrantsBeforeTheLeaseEndsFailsE2() {
        TestExecutionSummary summary = FixtureRuns.run(EarlyGrantingEngine.class, "E2_");
        List<String> failed = FixtureRuns.failures(summary);
        System.out.println("[cross-process self-test] early grant: failed " + failed);
        assertThat(failed).as("tests failed by an engine that grants early").anyMatch(test -> test.startsWith("E2_"));
    }

    @Test
    void anEngineWhoseRenewalsOutliveTheLeaseFailsS3() {
        TestExecutionSummary summary = FixtureRuns.run(LongRenewingEngine.class, "S3_");
        List<String> failed = FixtureRuns.failures(summary);
        System.out.println("[cross-process self-test] renewal in the wrong unit: failed " + failed);
        assertThat(failed)
                .as("tests failed by an engine whose renewals outlive the lease")
                .anyMatch(test -> test.startsWith("S3_") && test.contains("the next leader after"));
    }

    /** The tier wired to a toy engine of its own, as a backend author wires it. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    abstract static class ToyEngine extends CrossProcessTck {
        private final ToyFlaw flaw;
        private ToyLockServer engine;

        ToyEngine(ToyFlaw flaw) {
            this.flaw = flaw;
        }

        @BeforeAll
        void startEngine() {
            engine = ToyLockServer.start(flaw);
        }

        @AfterAll
        void stopEngine() {
            engine.close();
        }

        @Override
        protected String backend() {
            return ToyLockBackendProvider.NAME;
        }

        @Override
        protected Map<String, String> settings() {
            return Map.of(ToyLockBackendProvider.ADDRESS, "127.0.0.1:" + engine.port());
        }
    }

    static class CorrectEngine extends ToyEngine {
        CorrectEngine() {
            super(ToyFlaw.NONE);
        }
    }

    static class EarlyGrantingEngine extends ToyEngine {
        EarlyGrantingEngine() {
            super(ToyFlaw.EARLY_GRANT);
        }
    }

    static class LongRenewingEngine extends ToyEngine {
        LongRenewingEngine() {
            super(ToyFlaw.RENEWAL_IN_WRONG_UNIT);
        }
    }
}
