package io.dlm.samples;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The sample's main logic, checked: every job processed exactly once, stale writes fenced. */
class SampleAppTest {

    @Test
    void M1_workersNeverProcessAJobTwice() throws Exception {
        SampleReport report = SampleApp.run(60, 4);

        assertThat(report.doubleProcessed()).isZero();
        assertThat(report.processed()).isEqualTo(60);
        assertThat(report.perWorker().values().stream()
                        .mapToLong(Long::longValue)
                        .sum())
                .isEqualTo(60);
        assertThat(report.acquired()).isEqualTo(report.released()).isGreaterThanOrEqualTo(60);
        assertThat(report.leasesLost()).isZero();
        assertThat(report.staleWriterFenced()).isTrue();
        assertThat(report.ledgerRejected()).isEqualTo(1);
        assertThat(report.clean()).isTrue();
    }

    @Test
    void S1_S2_S3_eachFiringRunsOnceAndTheLeadMovesWhenTheLeaderStops() throws Exception {
        SampleReport report = SampleApp.run(12, 3);

        assertThat(report.scheduled().runsPerFiring())
                .as("nodes that ran each firing of the scheduled job")
                .containsOnly(1);
        assertThat(report.scheduled().skipped())
                .as("firings skipped: every other node, each time")
                .isEqualTo(report.scheduled().firings() * (report.scheduled().nodes() - 1));
        assertThat(report.leaders()).hasSizeGreaterThanOrEqualTo(2);
        assertThat(report.leadershipMoved()).isTrue();
    }
}
