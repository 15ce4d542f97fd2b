package io.dlm.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * O1: opening a manager before the application registers its OpenTelemetry never registers the
 * no-op instance in its place, so the application's own registration still works.
 */
class UnsetGlobalTest {

    @BeforeEach
    @AfterEach
    void noGlobal() {
        GlobalOpenTelemetry.resetForTest();
        DlmOpenTelemetry.useGlobal();
    }

    @Test
    void O1_aManagerOpenedBeforeTheSdkIsRegisteredLeavesTheGlobalUnset() {
        try (LockManager manager = LockManagers.inMemory()) {
            assertThat(manager.lock("r", "a", 0)).isTrue();
            assertThat(manager.unlock("r", "a")).isTrue();
        }
        assertThat(GlobalState.isSet()).isFalse();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().build()) {
            assertThatCode(() -> GlobalOpenTelemetry.set(sdk))
                    .as("the application registers its SDK after DLM opened a manager")
                    .doesNotThrowAnyException();
            assertThat(GlobalState.isSet()).isTrue();
        }
    }
}
