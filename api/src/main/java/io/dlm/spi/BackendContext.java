package io.dlm.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What the runtime hands a backend when it opens it: settings, parsed as the contract says (E1a),
 * the runtime's clock and where to report leases the engine ended (K3).
 */
public interface BackendContext {

    /**
     * All settings given to the manager, keys with their {@code dlm.} prefix.
     *
     * @return an unmodifiable map
     */
    Map<String, String> properties();

    /**
     * One setting.
     *
     * @param key the full key, e.g. {@code dlm.etcd.endpoints}
     * @return its value, or empty when absent
     */
    default Optional<String> property(String key) {
        return Optional.ofNullable(properties().get(key));
    }

    /**
     * A duration setting: ISO-8601 ({@code PT1S}) or a number with a unit ({@code 500ms}, {@code 1s},
     * {@code 5m}, {@code 1h}); a bare number means milliseconds (E1a).
     *
     * @param key the full key
     * @param defaultValue the value when the key is absent
     * @return the positive duration
     * @throws IllegalArgumentException naming the key when the value is unparsable, zero or negative
     */
    default Duration duration(String key, Duration defaultValue) {
        String value = properties().get(key);
        return value == null ? defaultValue : Durations.parsePositive(key, value);
    }

    /**
     * How long one engine operation may take before it fails with {@code INTERNAL_ERROR}
     * ({@code dlm.operation.timeout}, default 5 s; X1).
     *
     * @return the positive operation timeout
     */
    default Duration operationTimeout() {
        return duration(OPERATION_TIMEOUT, Duration.ofSeconds(5));
    }

    /**
     * The runtime's monotonic clock (E3); backends that measure time locally use it, so that tests
     * can step it.
     *
     * @return the clock, {@link Ticker#system()} by default
     */
    default Ticker ticker() {
        return Ticker.system();
    }

    /**
     * Where to report leases that the engine ended early (K3).
     *
     * @return the runtime's listener; {@link LeaseLossListener#IGNORE} outside a runtime
     */
    default LeaseLossListener leaseLoss() {
        return LeaseLossListener.IGNORE;
    }

    /** Key of the engine operation timeout. */
    String OPERATION_TIMEOUT = "dlm.operation.timeout";

    /**
     * A context of plain settings, with the system clock and no loss listener: for opening a
     * backend outside a manager (tests, tools).
     *
     * @param properties {@code dlm.*} settings
     * @return the context
     * @throws IllegalArgumentException naming the key when {@code dlm.operation.timeout} is invalid
     */
    static BackendContext of(Map<String, String> properties) {
        Map<String, String> copy = Map.copyOf(properties);
        BackendContext context = () -> copy;
        context.operationTimeout(); // fail now, naming the key, rather than on the first call
        return context;
    }
}
