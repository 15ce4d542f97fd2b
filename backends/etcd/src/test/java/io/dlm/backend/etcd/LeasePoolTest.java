package io.dlm.backend.etcd;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The idle-lease pool's bookkeeping, without a server: freshness, order, capacity, draining. */
class LeasePoolTest {

    private static final long SECOND = EtcdLockBackend.NANOS_PER_SECOND;

    private final List<Long> revoked = new ArrayList<>();
    private final LeasePool pool = new LeasePool(3, revoked::add);

    @Test
    void handsOutTheFreshestLeaseOfTheRequestedTtl() {
        long now = 1_000 * SECOND;
        pool.offer(10, new IdleLease(1, 10, now + 8 * SECOND), now);
        pool.offer(10, new IdleLease(2, 10, now + 9 * SECOND), now);
        pool.offer(5, new IdleLease(3, 5, now + 5 * SECOND), now);
        assertThat(pool.take(10, now)).extracting(IdleLease::id).isEqualTo(2L);
        assertThat(pool.take(10, now)).extracting(IdleLease::id).isEqualTo(1L);
        assertThat(pool.take(10, now)).isNull();
        assertThat(pool.take(7, now)).isNull();
        assertThat(pool.take(5, now)).extracting(IdleLease::id).isEqualTo(3L);
        assertThat(revoked).isEmpty();
    }

    @Test
    void leasesWithLessThanHalfTheirTtlLeftAreRevokedNotReused() {
        long now = 1_000 * SECOND;
        pool.offer(10, new IdleLease(1, 10, now + 4 * SECOND), now);
        assertThat(revoked).containsExactly(1L);
        pool.offer(10, new IdleLease(2, 10, now + 6 * SECOND), now);
        assertThat(pool.take(10, now + 2 * SECOND)).isNull();
        assertThat(revoked).containsExactly(1L, 2L);
        assertThat(pool.size()).isZero();
    }

    @Test
    void staleLeasesAtTheHeadAreDroppedWhenFresherOnesArrive() {
        long now = 1_000 * SECOND;
        pool.offer(2, new IdleLease(1, 2, now + 2 * SECOND), now);
        pool.offer(2, new IdleLease(2, 2, now + 5 * SECOND), now + 3 * SECOND);
        assertThat(revoked).containsExactly(1L);
        assertThat(pool.size()).isEqualTo(1);
    }

    @Test
    void beyondCapacityLeasesAreRevoked() {
        long now = 1_000 * SECOND;
        for (long id = 1; id <= 5; id++) {
            pool.offer(10, new IdleLease(id, 10, now + 10 * SECOND), now);
        }
        assertThat(pool.size()).isEqualTo(3);
        assertThat(revoked).containsExactly(4L, 5L);
        assertThat(pool.drain()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(pool.size()).isZero();
    }

    /**
     * A server whose minimum TTL is above the one asked for grants more (E1). The pool files such
     * a lease under the TTL asked for, which it outlives, and judges its freshness by the TTL it
     * has: half of 2 s, not half of 1 s.
     */
    @Test
    void aLeaseGrantedLongerThanAskedIsFiledUnderTheAskedTtlAndAgedByItsOwn() {
        long now = 1_000 * SECOND;
        pool.offer(1, new IdleLease(1, 2, now + 2 * SECOND), now);
        assertThat(pool.take(2, now)).isNull();
        assertThat(pool.take(1, now + SECOND))
                .extracting(IdleLease::id, IdleLease::ttlSeconds)
                .containsExactly(1L, 2L);
        // Half a second left would do for a 1 s lease, not for this one.
        pool.offer(1, new IdleLease(2, 2, now + 2 * SECOND), now);
        assertThat(pool.take(1, now + 3 * SECOND / 2)).isNull();
        assertThat(revoked).containsExactly(2L);
    }

    @Test
    void ttlsRoundUpToWholeSecondsNeverDown() {
        assertThat(LockRecipe.ttlSeconds(1)).isEqualTo(1);
        assertThat(LockRecipe.ttlSeconds(SECOND)).isEqualTo(1);
        assertThat(LockRecipe.ttlSeconds(SECOND + 1)).isEqualTo(2);
        assertThat(LockRecipe.ttlSeconds(2_500_000_000L)).isEqualTo(3);
        assertThat(LockRecipe.ttlSeconds(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE / SECOND + 1);
    }
}
