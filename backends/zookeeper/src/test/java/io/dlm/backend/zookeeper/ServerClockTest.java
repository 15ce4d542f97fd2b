package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** E3: what the backend knows of the leader's clock, from stamps and the local monotonic clock. */
class ServerClockTest {

    private static final long MS = 1_000_000L;

    @Test
    void knowsNothingBeforeTheFirstStamp() {
        ServerClock clock = new ServerClock();
        assertThat(clock.latestStamp()).isEqualTo(Long.MIN_VALUE);
        assertThat(clock.lowerBound(0)).isEqualTo(Long.MIN_VALUE);
        assertThat(clock.ageNanos(0)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void extrapolatesFromTheReplyByTheLocalClock() {
        ServerClock clock = new ServerClock();
        clock.observe(10_000, 5 * MS);
        assertThat(clock.lowerBound(5 * MS)).isEqualTo(10_000);
        assertThat(clock.lowerBound(255 * MS)).isEqualTo(10_250);
        assertThat(clock.ageNanos(255 * MS)).isEqualTo(250 * MS);
        // Never before the stamp, even if the local clock reads earlier than the reply.
        assertThat(clock.lowerBound(MS)).isEqualTo(10_000);
    }

    @Test
    void keepsTheSampleThatSaysMoreAndTheHighestStampApart() {
        ServerClock clock = new ServerClock();
        clock.observe(10_000, 0);
        // A slower reply with an older stamp says less than the first sample does by now.
        clock.observe(10_050, 100 * MS);
        assertThat(clock.lowerBound(100 * MS)).isEqualTo(10_100);
        assertThat(clock.latestStamp()).isEqualTo(10_050);
        clock.observe(10_500, 200 * MS);
        assertThat(clock.lowerBound(200 * MS)).isEqualTo(10_500);
        assertThat(clock.latestStamp()).isEqualTo(10_500);
    }

    @Test
    void leaseEndsOneMillisecondAfterItsTruncatedStampAllows() {
        assertThat(HeldLease.deadline(1_000, 500)).isEqualTo(1_501);
        assertThat(HeldLease.deadline(Long.MAX_VALUE - 10, 500)).isEqualTo(Long.MAX_VALUE);
    }
}
