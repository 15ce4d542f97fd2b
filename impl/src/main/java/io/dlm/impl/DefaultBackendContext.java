package io.dlm.impl;

import io.dlm.spi.BackendContext;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The {@link BackendContext} the runtime hands to a backend it opens.
 *
 * @param properties every setting given to the manager
 * @param settings the runtime's parsed settings
 */
record DefaultBackendContext(Map<String, String> properties, LockSettings settings) implements BackendContext {

    @Override
    public Optional<String> property(String key) {
        return Optional.ofNullable(properties.get(key));
    }

    @Override
    public Duration duration(String key, Duration defaultValue) {
        String value = properties.get(key);
        return value == null ? defaultValue : Durations.parsePositive(key, value);
    }

    @Override
    public Duration operationTimeout() {
        return settings.operationTimeout();
    }
}
