package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LockSettingsTest {

    private static LockSettings parse(Map<String, String> properties) {
        return LockSettings.parse(properties);
    }

    @Test
    void E1_leaseIsFactorTimesTimeoutWithAFloor() {
        LockSettings defaults = parse(Map.of());
        assertThat(defaults.leaseNanosForTimeout(0))
                .isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(defaults.leaseNanosForTimeout(400))
                .isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(defaults.leaseNanosForTimeout(3_000))
                .isEqualTo(Duration.ofSeconds(6).toNanos());

        LockSettings custom = parse(Map.of("dlm.lease.factor", "1.5", "dlm.lease.min", "100ms"));
        assertThat(custom.leaseNanosForTimeout(1_000))
                .isEqualTo(Duration.ofMillis(1_500).toNanos());
        assertThat(custom.leaseNanosForTimeout(10))
                .isEqualTo(Duration.ofMillis(100).toNanos());
    }

    @Test
    void V3_leasesAreClampedToTheMaximumWithoutOverflow() {
        LockSettings settings = parse(Map.of("dlm.lease.max", "1h"));
        assertThat(settings.leaseNanosForTimeout(Long.MAX_VALUE))
                .isEqualTo(Duration.ofHours(1).toNanos());
        assertThat(settings.clampLease(Duration.ofSeconds(Long.MAX_VALUE)))
                .isEqualTo(Duration.ofHours(1).toNanos());
        assertThat(parse(Map.of()).leaseNanosForTimeout(Long.MAX_VALUE))
                .isEqualTo(Duration.ofDays(1).toNanos());
    }

    @Test
    void E1a_invalidValuesNameTheirKey() {
        for (Map<String, String> invalid : List.of(
                Map.of("dlm.lease.factor", "0"),
                Map.of("dlm.lease.factor", "-2"),
                Map.of("dlm.lease.factor", "NaN"),
                Map.of("dlm.lease.factor", "two"),
                Map.of("dlm.lease.min", "0ms"),
                Map.of("dlm.lease.max", "-1s"),
                Map.of("dlm.operation.timeout", "soon"),
                Map.of("dlm.wait.recheck", "0s"),
                Map.of("dlm.wait.recheck", "often"))) {
            String key = invalid.keySet().iterator().next();
            assertThatIllegalArgumentException()
                    .isThrownBy(() -> parse(invalid))
                    .withMessageContaining(key);
        }
        assertThatIllegalArgumentException()
                .isThrownBy(() -> parse(Map.of("dlm.lease.min", "2h", "dlm.lease.max", "1h")))
                .withMessageContaining("dlm.lease.min");
    }

    @Test
    void E1a_overrideKeysAndOtherBackendsKeysAreIgnored() {
        LockSettings settings = parse(Map.of(
                "io.acme.Orders/ship/DistributedLock/timeout", "nonsense",
                "dlm.etcd.endpoints", "http://127.0.0.1:2379",
                "dlm.operation.timeout", "PT2S"));
        assertThat(settings.operationTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void N4_waitersLookAgainEveryHalfSecondUnlessConfigured() {
        assertThat(parse(Map.of()).waitRecheckNanos())
                .isEqualTo(Duration.ofMillis(500).toNanos());
        assertThat(parse(Map.of("dlm.wait.recheck", "2s")).waitRecheckNanos())
                .isEqualTo(Duration.ofSeconds(2).toNanos());
    }
}
