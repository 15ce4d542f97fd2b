package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * E2, H1, H2 and H3: a lease that runs out frees the resource at that instant, a heartbeat by the
 * holder extends a live lease, and nothing revives an expired one.
 *
 * <p>Tests that must not look at the lock before touching it (a look could tidy an expired entry
 * away and hide a revival) let time pass with {@link #sleepUntil(long)} instead of polling.
 */
abstract class ExpiryRules extends RuleGroup {

    ExpiryRules(LockManagerTck tck) {
        super(tck);
    }

    /** Acquires with a short lease and returns when, at the latest, the engine lets it expire. */
    private long acquireShort(LockManager manager, String resource, String client) {
        return acquireFor(manager, resource, client, shortLease())
                + effective(shortLease()).plus(expirySlack()).toNanos();
    }

    /**
     * A holder that acquired with a short lease and let it run out, without a look at the lock
     * meanwhile.
     *
     * @return the former holder's client id
     */
    private String expiredHolder(LockManager manager, String resource) {
        String holder = client("holder");
        sleepUntil(acquireShort(manager, resource, holder));
        return holder;
    }

    // ---- E2 -----------------------------------------------------------------------------------

    @Test
    void E2_expiredLeaseIsFreeAtOnceForAnotherClient() {
        LockManager manager = manager();
        String resource = resource();
        String other = client("other");
        long start = System.nanoTime();
        acquireShort(manager, resource, client("holder"));
        await(effective(shortLease()).plus(expirySlack()).plus(prompt())).until(() -> manager.lock(resource, other, 0));
        Duration took = since(start);
        assertThat(took)
                .as("time until another client's lock(r, c, 0) succeeded")
                .isGreaterThanOrEqualTo(shortLease().minusMillis(10))
                .isLessThanOrEqualTo(effective(shortLease()).plus(expirySlack()));
        assertHeldBy(manager, resource, other);
    }

    @Test
    void E2_formerHolderCannotUnlockOrHeartbeatAnExpiredLease() {
        LockManager manager = manager();
        String resource = resource();
        String holder = expiredHolder(manager, resource);
        assertThat(manager.unlock(resource, holder))
                .as("unlock of an expired lease")
                .isFalse();
        assertThat(manager.heartbeat(resource, holder))
                .as("heartbeat of an expired lease")
                .isFalse();
        assertFree(manager, resource);
        assertThat(manager.lock(resource, client("other"), 0)).isTrue();
    }

    @Test
    void E2_formerHolderMayLockAgainOnceExpired() {
        LockManager manager = manager();
        String resource = resource();
        String holder = expiredHolder(manager, resource);
        // An expired lease is no lease: asking again is not reentrance (L3), it is a new acquisition.
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        assertHeldBy(manager, resource, holder);
    }

    @Test
    void E2_expiredLeaseInspectsEmpty() {
        LockManager manager = manager();
        String resource = resource();
        expiredHolder(manager, resource);
        assertFree(manager, resource);
    }

    // ---- H1 -----------------------------------------------------------------------------------

    @Test
    void H1_heartbeatKeepsTheLockPastItsFirstExpiry() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Duration lease = effective(scaled(1_200));
        long start = System.nanoTime();
        Lease acquired =
                manager.tryAcquire(resource, holder, Duration.ZERO, lease).orElseThrow();
        sleepUntil(start + lease.toNanos() / 2);
        long beat = System.nanoTime();
        boolean renewed = manager.heartbeat(resource, holder);
        assumeTrue(renewed || beat - start < lease.toNanos() * 9 / 10, "machine too slow: heartbeat sent at expiry");
        assertThat(renewed).as("heartbeat of a live lease").isTrue();
        // Past the first expiry, well before the renewed one.
        sleepUntil(start + lease.toNanos() + lease.toNanos() / 8);
        LockInfo info = holder(manager, resource);
        assertThat(info.clientId()).isEqualTo(holder);
        assertThat(info.fencingToken()).isEqualTo(acquired.fencingToken());
        assertThat(manager.lock(resource, client("other"), 0)).isFalse();
    }

    @Test
    void H1_heartbeatRestoresTheLeaseTimeOfTryAcquire() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Duration leaseTime = scaled(10_000);
        assertThat(manager.tryAcquire(resource, holder, Duration.ZERO, leaseTime))
                .isPresent();
        assertThat(manager.heartbeat(resource, holder)).isTrue();
        assertRemainingAbout(holder(manager, resource), leaseTime);
    }

    @Test
    void H1_heartbeatRestoresTheE1LeaseOfLock() {
        LockManager manager = open("dlm.lease.factor", "2", "dlm.lease.min", "100ms");
        String resource = resource();
        String holder = client("holder");
        Duration timeout = scaled(3_000);
        assertThat(manager.lock(resource, holder, timeout.toMillis())).isTrue();
        assertThat(manager.heartbeat(resource, holder)).isTrue();
        assertRemainingAbout(holder(manager, resource), timeout.multipliedBy(2));
    }

    @Test
    void H1_heartbeatResetsRatherThanAddsToTheLease() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Duration leaseTime = scaled(5_000);
        assertThat(manager.tryAcquire(resource, holder, Duration.ZERO, leaseTime))
                .isPresent();
        for (int i = 0; i < 5; i++) {
            assertThat(manager.heartbeat(resource, holder)).isTrue();
        }
        assertThat(holder(manager, resource).remaining())
                .isLessThanOrEqualTo(effective(leaseTime).plusMillis(1));
    }

    // ---- H2 -----------------------------------------------------------------------------------

    @Test
    void H2_heartbeatByAnotherClientIsFalseAndChangesNothing() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Lease lease =
                manager.tryAcquire(resource, holder, Duration.ZERO, longLease()).orElseThrow();
        assertThat(manager.heartbeat(resource, client("other"))).isFalse();
        LockInfo info = holder(manager, resource);
        assertThat(info.clientId()).isEqualTo(holder);
        assertThat(info.fencingToken()).isEqualTo(lease.fencingToken());
    }

    @Test
    void H2_heartbeatOfAFreeResourceIsFalseAndTakesNothing() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        assertThat(manager.heartbeat(resource, client)).isFalse();
        assertFree(manager, resource);
        assertThat(manager.lock(resource, client("other"), 0)).isTrue();
    }

    @Test
    void H2_heartbeatAfterUnlockIsFalse() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        assertThat(manager.lock(resource, client, 0)).isTrue();
        assertThat(manager.unlock(resource, client)).isTrue();
        assertThat(manager.heartbeat(resource, client)).isFalse();
        assertFree(manager, resource);
    }

    @Test
    void H2_expiredLeaseIsNeverRevivedByHeartbeat() {
        LockManager manager = manager();
        String resource = resource();
        String holder = expiredHolder(manager, resource);
        assertThat(manager.heartbeat(resource, holder))
                .as("heartbeat of an expired lease")
                .isFalse();
        assertFree(manager, resource);
        String other = client("other");
        assertThat(manager.lock(resource, other, 0)).isTrue();
        assertThat(manager.heartbeat(resource, holder)).isFalse();
        assertHeldBy(manager, resource, other);
    }

    // ---- H3 -----------------------------------------------------------------------------------

    @Test
    void H3_repeatedHeartbeatsKeepOneLeaseAndItsToken() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        Lease lease =
                manager.tryAcquire(resource, holder, Duration.ZERO, longLease()).orElseThrow();
        for (int i = 0; i < 200; i++) {
            assertThat(manager.heartbeat(resource, holder))
                    .as("heartbeat %d", i)
                    .isTrue();
        }
        LockInfo info = holder(manager, resource);
        assertThat(info.fencingToken()).isEqualTo(lease.fencingToken());
        assertRemainingAbout(info, longLease());
    }
}
