package io.dlm.opentelemetry;

import static io.dlm.opentelemetry.MetricsReader.histogram;
import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.testing.junit5.OpenTelemetryExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** O1: by default the metrics go to {@code GlobalOpenTelemetry}, as with the Java agent. */
class GlobalOpenTelemetryTest {

    /** Registers its SDK as the global instance for this class, and resets it afterwards. */
    @RegisterExtension
    static final OpenTelemetryExtension OTEL = OpenTelemetryExtension.create();

    @Test
    void O1_managersRecordIntoTheGlobalInstanceByDefault() {
        DlmOpenTelemetry.useGlobal();
        try (LockManager manager = LockManagers.inMemory()) {
            assertThat(manager.lock("otel-global", "a", 0)).isTrue();
            assertThat(manager.unlock("otel-global", "a")).isTrue();
        }
        Attributes acquired = Attributes.of(
                OpenTelemetryLockObserver.BACKEND, "memory", OpenTelemetryLockObserver.OUTCOME, "acquired");
        assertThat(histogram(OTEL.getMetrics(), LockInstruments.WAIT_DURATION, acquired)
                        .getCount())
                .isEqualTo(1);
    }
}
