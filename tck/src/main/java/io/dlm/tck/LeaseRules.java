package io.dlm.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.Lease;
import io.dlm.LockInfo;
import io.dlm.LockManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * V3, E1, E1a and I1: how long leases are, how settings are read, how huge times saturate, and
 * what {@code inspect} reports. Remaining leases are checked through {@code inspect}, within {@link
 * #remainingTolerance()} below and the backend's granularity above.
 */
abstract class LeaseRules extends RuleGroup {

    private static final Duration ONE_DAY = Duration.ofDays(1);

    LeaseRules(LockManagerTck tck) {
        super(tck);
    }

    // ---- V3 -----------------------------------------------------------------------------------

    @Test
    void V3_maxTimeoutOnAFreeResourceSucceedsAtOnce() {
        LockManager manager = open(Map.of());
        String resource = resource();
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("c"), Long.MAX_VALUE)).isTrue();
        assertThat(since(start))
                .as("lock(r, c, Long.MAX_VALUE) on a free resource")
                .isLessThan(prompt());
        // factor * Long.MAX_VALUE saturates and is then clamped to the default dlm.lease.max of a day.
        assertThat(holder(manager, resource).remaining()).isPositive().isLessThanOrEqualTo(effective(ONE_DAY));
    }

    @Test
    void V3_waiterWithMaxTimeoutIsWokenByRelease() {
        LockManager manager = manager();
        String resource = resource();
        String holder = client("holder");
        String waiter = client("waiter");
        assertThat(manager.lock(resource, holder, 0)).isTrue();
        Background<Boolean> waiting = queuedLock(manager, resource, waiter, Long.MAX_VALUE);
        assertThat(manager.unlock(resource, holder)).isTrue();
        assertThat(waiting.result(prompt())).isTrue();
        assertHeldBy(manager, resource, waiter);
    }

    @Test
    void V3_hugeTryAcquireDurationsSaturate() {
        LockManager manager = open(Map.of());
        String resource = resource();
        String client = client("c");
        Duration huge = Duration.ofSeconds(Long.MAX_VALUE);
        long start = System.nanoTime();
        Optional<Lease> lease = manager.tryAcquire(resource, client, huge, huge);
        assertThat(since(start)).isLessThan(prompt());
        assertThat(lease).isPresent();
        assertThat(holder(manager, resource).remaining()).isPositive().isLessThanOrEqualTo(effective(ONE_DAY));

        String waiter = client("waiter");
        Background<Optional<Lease>> waiting =
                inBackground("tryAcquire(huge wait)", () -> manager.tryAcquire(resource, waiter, huge, huge));
        awaitQueued(waiting);
        assertThat(manager.unlock(resource, client)).isTrue();
        assertThat(waiting.result(prompt())).isPresent();
        assertHeldBy(manager, resource, waiter);
    }

    @Test
    void V3_everyLeaseIsClampedToLeaseMax() {
        Duration max = scaled(2_000);
        LockManager manager = open("dlm.lease.max", millis(max), "dlm.lease.min", "100ms");
        Duration ceiling = effective(max).plusMillis(1);
        String client = client("c");

        String locked = resource();
        assertThat(manager.lock(locked, client, Duration.ofHours(1).toMillis())).isTrue();
        assertThat(holder(manager, locked).remaining()).as("lease of lock").isLessThanOrEqualTo(ceiling);

        String acquired = resource();
        assertThat(manager.tryAcquire(acquired, client, Duration.ZERO, Duration.ofHours(1)))
                .isPresent();
        assertThat(holder(manager, acquired).remaining())
                .as("lease of tryAcquire")
                .isLessThanOrEqualTo(ceiling);

        assertThat(manager.heartbeat(acquired, client)).isTrue();
        assertThat(holder(manager, acquired).remaining())
                .as("lease after heartbeat")
                .isLessThanOrEqualTo(ceiling);
    }

    // ---- E1 -----------------------------------------------------------------------------------

    /** E1: {@code lock} of a free resource with {@code timeoutMillis} gives a lease of about {@code lease}. */
    private void assertLockLeaseAbout(LockManager manager, long timeoutMillis, Duration lease) {
        String resource = resource();
        assertThat(manager.lock(resource, client("c"), timeoutMillis)).isTrue();
        assertRemainingAbout(holder(manager, resource), lease);
    }

    @Test
    void E1_lockLeaseIsTwiceTheTimeoutByDefault() {
        Duration timeout = scaled(5_000);
        assertLockLeaseAbout(open(Map.of()), timeout.toMillis(), timeout.multipliedBy(2));
    }

    @Test
    void E1_lockLeaseIsAtLeastOneSecondByDefault() {
        LockManager manager = open(Map.of());
        assertLockLeaseAbout(manager, 0, Duration.ofSeconds(1));
        assertLockLeaseAbout(manager, 100, Duration.ofSeconds(1));
    }

    @Test
    void E1_factorAndMinimumAreConfigurable() {
        LockManager halfFactor = open("dlm.lease.factor", "0.5", "dlm.lease.min", "100ms");
        Duration timeout = scaled(8_000);
        assertLockLeaseAbout(halfFactor, timeout.toMillis(), timeout.dividedBy(2));

        Duration min = scaled(5_000);
        assertLockLeaseAbout(open("dlm.lease.min", millis(min)), 0, min);
    }

    @Test
    void E1_shortMinimumLeaseExpiresOnTime() {
        Duration min = shortLease();
        LockManager manager = open("dlm.lease.min", millis(min));
        String resource = resource();
        long start = System.nanoTime();
        assertThat(manager.lock(resource, client("c"), 0)).isTrue();
        assertThat(holder(manager, resource).remaining())
                .isLessThanOrEqualTo(effective(min).plusMillis(1));
        await(effective(min).plus(expirySlack()).plus(prompt()))
                .until(() -> manager.inspect(resource).isEmpty());
        assertThat(since(start)).isLessThanOrEqualTo(effective(min).plus(expirySlack()));
    }

    @Test
    void E1_tryAcquireUsesItsLeaseTimeNotTheLockFormula() {
        LockManager manager = open(Map.of());
        String resource = resource();
        Duration leaseTime = scaled(7_000);
        assertThat(manager.tryAcquire(resource, client("c"), scaled(20_000), leaseTime))
                .isPresent();
        assertRemainingAbout(holder(manager, resource), leaseTime);
    }

    // ---- E1a ----------------------------------------------------------------------------------

    @Test
    void E1a_invalidSettingsFailOpenNamingTheKey() {
        List<Map<String, String>> invalid = List.of(
                Map.of("dlm.lease.factor", "0"),
                Map.of("dlm.lease.factor", "-2"),
                Map.of("dlm.lease.factor", "abc"),
                Map.of("dlm.lease.factor", ""),
                Map.of("dlm.lease.min", "-1s"),
                Map.of("dlm.lease.min", "0"),
                Map.of("dlm.lease.min", "0ms"),
                Map.of("dlm.lease.min", "abc"),
                Map.of("dlm.lease.min", "5 parsecs"),
                Map.of("dlm.lease.max", "PT0S"),
                Map.of("dlm.lease.max", "-PT1S"),
                Map.of("dlm.operation.timeout", "0"),
                Map.of("dlm.operation.timeout", "soon"));
        List<Executable> checks = new ArrayList<>();
        for (Map<String, String> settings : invalid) {
            String key = settings.keySet().iterator().next();
            checks.add(() -> assertThatThrownBy(() -> openAndClose(settings))
                    .as("open with %s", settings)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(key));
        }
        checks.add(() -> assertThatThrownBy(() -> openAndClose(settings("dlm.lease.min", "2s", "dlm.lease.max", "1s")))
                .as("open with dlm.lease.min above dlm.lease.max")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dlm.lease.m"));
        assertEach("E1a invalid settings", checks);
    }

    @Test
    void E1a_durationSyntaxesAreAccepted() {
        Map<String, Duration> syntaxes = Map.of(
                "500ms", Duration.ofMillis(500),
                "750", Duration.ofMillis(750),
                "PT1S", Duration.ofSeconds(1),
                "1s", Duration.ofSeconds(1),
                "5m", Duration.ofMinutes(5),
                "1h", Duration.ofHours(1));
        syntaxes.forEach((text, meant) -> {
            LockManager manager = open("dlm.lease.min", text);
            String resource = resource();
            assertThat(manager.lock(resource, client("c"), 0)).isTrue();
            LockInfo info = holder(manager, resource);
            assertThat(info.remaining())
                    .as("lease with dlm.lease.min=%s", text)
                    .isLessThanOrEqualTo(effective(meant).plusMillis(1));
            assertRemainingAbout(info, meant);
        });
        for (String timeout : List.of("PT5S", "2500", "3s", "1m")) {
            assertThat(open("dlm.operation.timeout", timeout)).isNotNull();
        }
        assertThat(open("dlm.lease.max", "2h", "dlm.lease.min", "PT2H")).isNotNull();
    }

    @Test
    void E1a_decimalFactorIsAccepted() {
        LockManager manager = open("dlm.lease.factor", "1.5", "dlm.lease.min", "10ms");
        Duration timeout = scaled(4_000);
        assertLockLeaseAbout(
                manager, timeout.toMillis(), timeout.multipliedBy(3).dividedBy(2));
    }

    @Test
    void E1a_foreignBackendAndAnnotationKeysDoNotFailOpen() {
        LockManager manager = open(settings(
                "dlm.tck-no-such-backend.endpoints", "%%% not a url %%%",
                "io.example.Orders/ship/DistributedLock/timeout", "-5",
                "DistributedLock/lease", "abc"));
        String resource = resource();
        assertThat(manager.lock(resource, client("c"), 0)).isTrue();
    }

    private void openAndClose(Map<String, String> settings) {
        // A backend that wrongly accepts the settings still gets its manager closed.
        tck().openManager(settings).close();
    }

    // ---- I1 -----------------------------------------------------------------------------------

    @Test
    void I1_freeResourceInspectsEmpty() {
        LockManager manager = manager();
        String resource = resource();
        String client = client("c");
        assertFree(manager, resource);
        assertThat(manager.lock(resource, client, 0)).isTrue();
        assertThat(manager.unlock(resource, client)).isTrue();
        assertFree(manager, resource);
    }

    @Test
    void I1_heldResourceShowsHolderTokenAndRemainingLease() {
        LockManager manager = manager();
        String locked = resource();
        String client = client("c");
        assertThat(manager.lock(locked, client, 0)).isTrue();
        LockInfo info = holder(manager, locked);
        assertThat(info.resourceId()).isEqualTo(locked);
        assertThat(info.clientId()).isEqualTo(client);
        assertRemainingAbout(info, longLease());

        String acquired = resource();
        Duration leaseTime = scaled(10_000);
        Lease lease =
                manager.tryAcquire(acquired, client, Duration.ZERO, leaseTime).orElseThrow();
        LockInfo leased = holder(manager, acquired);
        assertThat(leased.resourceId()).isEqualTo(acquired);
        assertThat(leased.clientId()).isEqualTo(client);
        assertThat(leased.fencingToken()).isEqualTo(lease.fencingToken());
        assertRemainingAbout(leased, leaseTime);
    }

    @Test
    void I1_remainingLeaseCountsDown() {
        LockManager manager = manager();
        String resource = resource();
        manager.tryAcquire(resource, client("c"), Duration.ZERO, scaled(30_000)).orElseThrow();
        Duration first = holder(manager, resource).remaining();
        Duration step = granularity().compareTo(Duration.ofMillis(50)) > 0 ? granularity() : Duration.ofMillis(50);
        await(scaled(5_000).plus(step.multipliedBy(2)))
                .until(() -> holder(manager, resource).remaining().compareTo(first.minus(step)) <= 0);
    }
}
