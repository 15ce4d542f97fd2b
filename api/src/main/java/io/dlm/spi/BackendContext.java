package io.dlm.spi;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** What the runtime hands a backend when it opens it: settings, parsed as the contract says (E1a). */
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
    Optional<String> property(String key);

    /**
     * A duration setting: ISO-8601 ({@code PT1S}) or a number with a unit ({@code 500ms}, {@code 1s},
     * {@code 5m}, {@code 1h}); a bare number means milliseconds (E1a).
     *
     * @param key the full key
     * @param defaultValue the value when the key is absent
     * @return the positive duration
     * @throws IllegalArgumentException naming the key when the value is unparsable, zero or negative
     */
    Duration duration(String key, Duration defaultValue);

    /**
     * How long one engine operation may take before it fails with {@code INTERNAL_ERROR}
     * ({@code dlm.operation.timeout}, default 5 s; X1).
     *
     * @return the positive operation timeout
     */
    Duration operationTimeout();
}
