package io.dlm.opentelemetry;

import io.dlm.spi.LockObserver;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Gives every lock manager the runtime opens an observer that records its O1 metrics through the
 * OpenTelemetry API; registered in {@code META-INF/services/io.dlm.spi.LockObserver$Factory}.
 *
 * <p>Without OpenTelemetry on the class path its constructor throws {@link NoClassDefFoundError},
 * which {@link java.util.ServiceLoader} reports as a {@link java.util.ServiceConfigurationError}
 * and the runtime skips: no manager gets an observer and no lock call does any extra work. Nothing
 * in this class's signatures or static state names an OpenTelemetry type, so loading the class
 * itself never fails.
 *
 * <p>A manager whose OpenTelemetry instance ({@link DlmOpenTelemetry}) has no metrics SDK (the
 * no-op meter provider) gets no observer either.
 */
public final class OpenTelemetryLockObserverFactory implements LockObserver.Factory {

    /**
     * The manager setting that adds the resource id to the wait and hold histograms as {@code
     * dlm.lock.resource} (O1): {@code true} or {@code false}, the default. Each resource becomes a
     * time series of its own, so set it only where resources are few and fixed.
     */
    public static final String RESOURCE_ATTRIBUTE_SETTING = "dlm.metrics.resource-attribute";

    /**
     * Created by {@link java.util.ServiceLoader}; fails with {@link NoClassDefFoundError} when the
     * OpenTelemetry API is missing (O1).
     */
    public OpenTelemetryLockObserverFactory() {
        // Links the API now, so that a missing API fails while ServiceLoader creates the factory (a
        // ServiceConfigurationError the runtime skips quietly), not later at each manager's open.
        Objects.requireNonNull(OpenTelemetry.class);
    }

    @Override
    public @Nullable LockObserver observe(LockObserver.ObservedManager manager) {
        MeterProvider provider = DlmOpenTelemetry.current().getMeterProvider();
        if (provider == MeterProvider.noop()) {
            return null;
        }
        return OpenTelemetryLockObserver.open(LockInstruments.of(provider), manager);
    }
}
