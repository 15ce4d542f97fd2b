package io.dlm.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import io.dlm.spi.Durations;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @Test
    void E1a_acceptsIsoUnitsAndBareMilliseconds() {
        assertThat(Durations.parsePositive("k", "PT1S")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parsePositive("k", "pt0.5s")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parsePositive("k", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parsePositive("k", "1s")).isEqualTo(Duration.ofSeconds(1));
        assertThat(Durations.parsePositive("k", "5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Durations.parsePositive("k", "1h")).isEqualTo(Duration.ofHours(1));
        assertThat(Durations.parsePositive("k", "2d")).isEqualTo(Duration.ofDays(2));
        assertThat(Durations.parsePositive("k", " 750 ")).isEqualTo(Duration.ofMillis(750));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", "abc", "0", "0s", "-1s", "PT-1S", "PT0S", "1 fortnight", "1.5s", "99999999999999999999"})
    void E1a_rejectsInvalidValuesNamingTheKey(String value) {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> Durations.parsePositive("dlm.lease.min", value))
                .withMessageContaining("dlm.lease.min");
    }

    @Test
    void V3_conversionsSaturate() {
        assertThat(Durations.toNanosSaturated(Duration.ofSeconds(Long.MAX_VALUE)))
                .isEqualTo(Long.MAX_VALUE);
        assertThat(Durations.saturatedAdd(Long.MAX_VALUE - 1, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(Durations.saturatedAdd(3, 4)).isEqualTo(7);
    }
}
