package io.dlm.opentelemetry;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.metrics.ObservableLongMeasurement;
import io.opentelemetry.api.metrics.ObservableLongUpDownCounter;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The O1 instruments of one meter provider, shared by every manager that records into it.
 *
 * <p>Shared because {@code dlm.lock.held} is asynchronous: one callback reports the sum over the
 * provider's managers for each backend, where one callback per manager would report the same
 * attributes twice whenever two managers share a backend, and the SDK drops such a duplicate.
 */
final class LockInstruments {

    /** The instrumentation scope of every DLM metric. */
    static final String SCOPE = "io.dlm";

    static final String WAIT_DURATION = "dlm.lock.wait.duration";
    static final String HELD_DURATION = "dlm.lock.held.duration";
    static final String LEASE_LOST = "dlm.lock.lease.lost";
    static final String HELD = "dlm.lock.held";

    /**
     * Bucket bounds in seconds for waits: from half a millisecond (a free lock on a local engine) to
     * a minute (a long {@code lock} timeout); the SDK's default bounds, made for milliseconds, would
     * put nearly every wait in their first bucket.
     */
    static final List<Double> WAIT_BUCKETS =
            List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0);

    /** Bucket bounds in seconds for holds: from a millisecond to an hour-long scheduled job. */
    static final List<Double> HELD_BUCKETS =
            List.of(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0);

    private static final Map<MeterProvider, LockInstruments> BY_PROVIDER = new WeakHashMap<>();

    final DoubleHistogram waitDuration;
    final DoubleHistogram heldDuration;
    final LongCounter leaseLost;
    /** Kept so that the callback lives as long as the instruments; never closed. */
    private final ObservableLongUpDownCounter held;

    private final List<WeakReference<OpenTelemetryLockObserver>> holders = new CopyOnWriteArrayList<>();

    private LockInstruments(Meter meter) {
        waitDuration = meter.histogramBuilder(WAIT_DURATION)
                .setDescription("How long calls waited for a lock, by outcome")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(WAIT_BUCKETS)
                .build();
        heldDuration = meter.histogramBuilder(HELD_DURATION)
                .setDescription("How long locks were held, until their release or the loss of their lease")
                .setUnit("s")
                .setExplicitBucketBoundariesAdvice(HELD_BUCKETS)
                .build();
        leaseLost = meter.counterBuilder(LEASE_LOST)
                .setDescription("Kept-alive leases lost, their holders told (K3)")
                .setUnit("{lease}")
                .build();
        held = meter.upDownCounterBuilder(HELD)
                .setDescription("Locks held now")
                .setUnit("{lock}")
                .buildWithCallback(this::reportHeld);
    }

    /**
     * The instruments of a provider, made on first use.
     *
     * @param provider a provider with a metrics SDK behind it
     * @return its instruments
     */
    static synchronized LockInstruments of(MeterProvider provider) {
        return BY_PROVIDER.computeIfAbsent(provider, p -> new LockInstruments(p.get(SCOPE)));
    }

    /**
     * Counts an observer's held locks in {@code dlm.lock.held} for as long as its manager exists.
     *
     * @param observer the observer of an opened manager
     */
    void countHeldOf(OpenTelemetryLockObserver observer) {
        // Weak as well as removed on close: a manager nobody closed must not be kept alive by it.
        holders.add(new WeakReference<>(observer));
    }

    /**
     * Stops counting a closed manager's held locks.
     *
     * @param observer the observer of a manager that closed
     */
    void stopCounting(OpenTelemetryLockObserver observer) {
        holders.removeIf(ref -> {
            OpenTelemetryLockObserver counted = ref.get();
            return counted == null || counted == observer;
        });
    }

    private void reportHeld(ObservableLongMeasurement measurement) {
        Map<Attributes, Long> byBackend = new HashMap<>();
        for (WeakReference<OpenTelemetryLockObserver> ref : holders) {
            OpenTelemetryLockObserver observer = ref.get();
            if (observer == null) {
                holders.remove(ref);
            } else {
                byBackend.merge(observer.backendAttributes(), observer.heldNow(), Long::sum);
            }
        }
        byBackend.forEach((attributes, count) -> measurement.record(count, attributes));
    }
}
