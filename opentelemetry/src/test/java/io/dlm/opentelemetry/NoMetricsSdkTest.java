package io.dlm.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockObserver;
import io.opentelemetry.api.OpenTelemetry;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** O1: with the API but no metrics SDK, DLM adds no observer, so no lock call does extra work. */
class NoMetricsSdkTest {

    @AfterEach
    void back() {
        DlmOpenTelemetry.useGlobal();
    }

    @Test
    void O1_theFactoryIsRegisteredForServiceLoader() {
        assertThat(ServiceLoader.load(LockObserver.Factory.class).stream().map(ServiceLoader.Provider::type))
                .contains(OpenTelemetryLockObserverFactory.class);
    }

    @Test
    void O1_aNoopOpenTelemetryGetsNoObserverAndLocksWork() {
        DlmOpenTelemetry.use(OpenTelemetry.noop());
        LockObserver observer = new OpenTelemetryLockObserverFactory()
                .observe(new LockObserver.ObservedManager("memory", Map.of(), () -> 0));
        assertThat(observer).isNull();
        try (LockManager manager = LockManagers.inMemory()) {
            assertThat(manager.lock("otel-noop", "a", 0)).isTrue();
            assertThat(manager.unlock("otel-noop", "a")).isTrue();
        }
    }
}
