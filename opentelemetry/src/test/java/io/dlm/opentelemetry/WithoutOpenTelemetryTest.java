package io.dlm.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dlm.Lease;
import io.dlm.LockManager;
import io.dlm.LockManagers;
import io.dlm.spi.LockObserver;
import java.time.Duration;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * O1: dlm-opentelemetry on the class path without any OpenTelemetry jar, as in an application
 * that never added one. Runs in its own Surefire execution that leaves every {@code
 * io.opentelemetry} artifact off the class path; the default execution skips it.
 */
class WithoutOpenTelemetryTest {

    @Test
    void O1_withoutOpenTelemetryTheFactoryIsSkippedQuietlyAndLocksWork() {
        assertThatThrownBy(() -> Class.forName("io.opentelemetry.api.OpenTelemetry"))
                .as("this execution runs without OpenTelemetry")
                .isInstanceOf(ClassNotFoundException.class);

        List<ServiceLoader.Provider<LockObserver.Factory>> registered =
                ServiceLoader.load(LockObserver.Factory.class).stream().collect(Collectors.toList());
        assertThat(registered)
                .as("the factory's class itself loads")
                .extracting(ServiceLoader.Provider::type)
                .contains(OpenTelemetryLockObserverFactory.class);
        ServiceLoader.Provider<LockObserver.Factory> ours = registered.stream()
                .filter(p -> p.type() == OpenTelemetryLockObserverFactory.class)
                .findFirst()
                .orElseThrow();
        assertThatThrownBy(ours::get)
                .as("creating it fails the way the runtime skips")
                .isInstanceOf(ServiceConfigurationError.class)
                .hasRootCauseInstanceOf(ClassNotFoundException.class);

        Logger telemetryLog = Logger.getLogger("io.dlm.impl.LockTelemetry");
        Level before = telemetryLog.getLevel();
        Recorded recorded = new Recorded();
        telemetryLog.setLevel(Level.ALL);
        telemetryLog.addHandler(recorded);
        try (LockManager manager = LockManagers.inMemory()) {
            assertThat(manager.lock("no-otel", "a", 0)).isTrue();
            assertThat(manager.lock("no-otel", "b", 50)).isFalse();
            assertThat(manager.unlock("no-otel", "a")).isTrue();
            Lease lease = manager.tryAcquire("no-otel", "c", Duration.ZERO, Duration.ofSeconds(1))
                    .orElseThrow()
                    .keepAlive();
            assertThat(lease.release()).isTrue();
        } finally {
            telemetryLog.removeHandler(recorded);
            telemetryLog.setLevel(before);
        }
        assertThat(recorded.records)
                .as("the runtime noticed the factory could not load, at debug level")
                .anySatisfy(r -> assertThat(r.getMessage()).contains("could not load"));
        assertThat(recorded.records)
                .as("and warned about nothing")
                .allSatisfy(r -> assertThat(r.getLevel().intValue()).isLessThan(Level.WARNING.intValue()));
    }

    /** Keeps every record logged. */
    private static final class Recorded extends Handler {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord record) {
            records.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
