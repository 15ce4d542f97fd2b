package io.dlm.opentelemetry;

import io.dlm.spi.LockObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Map;

/**
 * Records one manager's O1 metrics. Its attributes are built once, when the manager opens, so a
 * lock call allocates nothing here unless the resource id is asked for as an attribute.
 *
 * <p>A hold ends by a release or by the loss of its lease: both record {@code
 * dlm.lock.held.duration}, since the lock was held that long either way, and a loss also counts in
 * {@code dlm.lock.lease.lost}. A lease that nobody renewed and that simply ran out is not reported
 * by the runtime; {@code dlm.lock.held} stops counting it at its deadline.
 */
final class OpenTelemetryLockObserver implements LockObserver {

    static final AttributeKey<String> BACKEND = AttributeKey.stringKey("dlm.backend");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("dlm.lock.outcome");
    static final AttributeKey<String> RESOURCE = AttributeKey.stringKey("dlm.lock.resource");

    private static final System.Logger LOG = System.getLogger(OpenTelemetryLockObserver.class.getName());
    private static final double NANOS_PER_SECOND = 1_000_000_000.0;

    private final LockInstruments instruments;
    private final HeldCount heldNow;
    private final Attributes backend;
    private final Map<WaitOutcome, Attributes> waitAttributes = new EnumMap<>(WaitOutcome.class);
    private final boolean withResource;

    private OpenTelemetryLockObserver(LockInstruments instruments, ObservedManager manager, boolean withResource) {
        this.instruments = instruments;
        this.heldNow = manager.heldNow();
        this.backend = Attributes.of(BACKEND, manager.backend());
        for (WaitOutcome outcome : WaitOutcome.values()) {
            waitAttributes.put(outcome, Attributes.of(BACKEND, manager.backend(), OUTCOME, outcome.attributeValue()));
        }
        this.withResource = withResource;
    }

    /**
     * An observer of a manager, counted in the provider's {@code dlm.lock.held}.
     *
     * @param instruments the instruments of the manager's meter provider
     * @param manager the manager
     * @return the observer
     */
    static OpenTelemetryLockObserver open(LockInstruments instruments, ObservedManager manager) {
        OpenTelemetryLockObserver observer =
                new OpenTelemetryLockObserver(instruments, manager, resourceAttributeAsked(manager.properties()));
        instruments.countHeldOf(observer);
        return observer;
    }

    private static boolean resourceAttributeAsked(Map<String, String> properties) {
        String value = properties.get(OpenTelemetryLockObserverFactory.RESOURCE_ATTRIBUTE_SETTING);
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("false")) {
            return false;
        }
        if (value.trim().equalsIgnoreCase("true")) {
            return true;
        }
        // Not worth losing every metric over: record them without the resource, the safe choice.
        LOG.log(
                Level.WARNING,
                "DLM: {0} must be true or false, not \"{1}\"; metrics are recorded without the resource id",
                OpenTelemetryLockObserverFactory.RESOURCE_ATTRIBUTE_SETTING,
                value);
        return false;
    }

    @Override
    public void waitEnded(String resourceId, String clientId, WaitOutcome outcome, long waitNanos) {
        instruments.waitDuration.record(seconds(waitNanos), withResource(waitAttributes.get(outcome), resourceId));
    }

    @Override
    public void released(String resourceId, String clientId, long fencingToken, long heldNanos) {
        instruments.heldDuration.record(seconds(heldNanos), withResource(backend, resourceId));
    }

    @Override
    public void leaseLost(String resourceId, String clientId, long fencingToken, long heldNanos) {
        Attributes attributes = withResource(backend, resourceId);
        instruments.heldDuration.record(seconds(heldNanos), attributes);
        instruments.leaseLost.add(1, attributes);
    }

    @Override
    public void closed() {
        // A closed manager holds nothing: out of dlm.lock.held at once, not when it is collected.
        instruments.stopCounting(this);
    }

    /** The attributes of this manager's {@code dlm.lock.held} count. */
    Attributes backendAttributes() {
        return backend;
    }

    /** How many of this manager's acquisitions are held now. */
    long heldNow() {
        return heldNow.get();
    }

    private Attributes withResource(Attributes attributes, String resourceId) {
        return withResource ? attributes.toBuilder().put(RESOURCE, resourceId).build() : attributes;
    }

    private static double seconds(long nanos) {
        return nanos / NANOS_PER_SECOND;
    }
}
