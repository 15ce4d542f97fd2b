package io.dlm.backend.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * E3, N6: how long a contender waits before it may end another process's lease, from what it has
 * seen of the lock node and its own monotonic clock only; and when a holder's own lease ends.
 * (Replaces the tests of the leader-clock estimate this backend used before.)
 */
class SightingsTest {

    private static final long MS = 1_000_000L;
    private static final String LOCK = "/base/r";

    @Test
    void aNodeFirstSeenMayRunAWholeLeasePlusTheMarginFromTheReply() {
        Sightings sightings = new Sightings();
        // Seen in a reply that came back at 5 ms; asked at 7 ms.
        assertThat(sightings.remainingNanos(LOCK, 10, 20, 1_000, 5 * MS, 7 * MS))
                .isEqualTo(1_010 * MS - 2 * MS);
        assertThat(Sightings.waitNanos(1_000)).isEqualTo(1_010 * MS);
    }

    @Test
    void theWaitRunsFromTheFirstSightingWhileTheNodeIsUnchanged() {
        Sightings sightings = firstSeenAtZero();
        // A later read of the same write does not restart the count.
        assertThat(remainingAt(sightings, 10, 20, 600)).isEqualTo(410 * MS);
        assertThat(remainingAt(sightings, 10, 20, 1_010)).isZero();
        assertThat(remainingAt(sightings, 10, 20, 5_000)).isZero();
    }

    @Test
    void aRenewalOrANewAcquisitionStartsTheCountAgain() {
        Sightings sightings = firstSeenAtZero();
        // Renewed: same czxid, new mzxid.
        assertThat(remainingAt(sightings, 10, 21, 900)).isEqualTo(1_010 * MS);
        // Deleted and created again: new czxid.
        assertThat(remainingAt(sightings, 30, 30, 1_800)).isEqualTo(1_010 * MS);
    }

    @Test
    void aForgottenNodeIsCountedAfresh() {
        Sightings sightings = firstSeenAtZero();
        sightings.forget(LOCK);
        assertThat(sightings.size()).isZero();
        assertThat(remainingAt(sightings, 10, 20, 2_000)).isEqualTo(1_010 * MS);
    }

    @Test
    void hugeLeasesSaturate() {
        assertThat(Sightings.waitNanos(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / 2);
        assertThat(HeldLease.expiry(5, Long.MAX_VALUE)).isEqualTo(5 + Long.MAX_VALUE / 2);
    }

    @Test
    void aHoldersLeaseEndsALeaseAfterItsSendAndARenewalMovesTheEnd() {
        HeldLease lease = new HeldLease("c", new byte[0], "/base/r.n", 0, 1_000, 7, HeldLease.expiry(100 * MS, 1_000));
        assertThat(lease.over(1_099 * MS)).isFalse();
        assertThat(lease.over(1_100 * MS)).isTrue();
        HeldLease renewed = lease.renewed(1, 800 * MS);
        assertThat(renewed.version()).isEqualTo(1);
        assertThat(renewed.token()).isEqualTo(7);
        assertThat(renewed.over(1_500 * MS)).isFalse();
        assertThat(renewed.over(1_800 * MS)).isTrue();
    }

    /** Sightings of {@link #LOCK}, first seen at 0 ms with czxid 10, mzxid 20 and a lease of 1000 ms. */
    private static Sightings firstSeenAtZero() {
        Sightings sightings = new Sightings();
        remainingAt(sightings, 10, 20, 0);
        return sightings;
    }

    /**
     * What is left of a 1000 ms lease of {@link #LOCK} as seen at {@code millis}, in a reply that
     * came back just then.
     */
    private static long remainingAt(Sightings sightings, long czxid, long mzxid, long millis) {
        return sightings.remainingNanos(LOCK, czxid, mzxid, 1_000, millis * MS, millis * MS);
    }
}
